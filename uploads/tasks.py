"""Celery tasks: thin interfaces that call the upload services by id."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from portal.dispatch import QuickToGiveUpTask, task_send
from uploads.processing import DATABASE_ERRORS, upload_process
from uploads.recovery import upload_files_remove_expired, uploads_recover_stuck


# acks_late + reject_on_worker_lost: a pool child killed mid-file leaves the message to be
# delivered again at once; retry_on_worker_lost sends it again as a retry instead (bounded by
# max_retries, so a file that kills its worker can't loop forever). Either way the same task id
# comes back and takes its own claim over (uploads/processing.py). When the whole worker dies,
# the message waits in the broker until its visibility timeout, far too long: the recovery sweep
# sees the run's heartbeat stop and queues the upload again within seconds instead.
@shared_task(
    bind=True,
    base=QuickToGiveUpTask,
    name="uploads.process_upload",
    acks_late=True,
    reject_on_worker_lost=True,
    retry_on_worker_lost=True,
    default_retry_delay=2,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def process_upload(self: Any, upload_id: int) -> None:
    """Process one upload (no-op when it is already done, cancelled or owned by another run)."""
    try:
        upload_process(upload_id=upload_id, task_id=self.request.id or "")
    except DATABASE_ERRORS:
        # The connection may be dead (a killed backend, a restarted server): the retry opens
        # a fresh one instead of failing on the broken one again.
        connections.close_all()
        raise


@shared_task(name="uploads.recover_stuck_uploads")
def recover_stuck_uploads() -> dict[str, int]:
    """Periodic: re-queue dead runs, send unsent or lost uploads, fail hopeless ones."""
    recovery = uploads_recover_stuck()
    return {
        "requeued": recovery.requeued,
        "redispatched": recovery.redispatched,
        "failed": recovery.failed,
    }


@shared_task(name="uploads.remove_expired_upload_files")
def remove_expired_upload_files() -> int:
    """Periodic: delete stored upload files and reports past the retention period."""
    return upload_files_remove_expired()


@worker_ready.connect
def recover_when_a_worker_starts(**kwargs: Any) -> None:
    """A worker back from an outage sweeps at once, without waiting for beat (or without one)."""
    task_send(recover_stuck_uploads)
