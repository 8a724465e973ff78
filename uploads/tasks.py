"""Celery tasks: thin interfaces that call the upload services by id."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import connections

from uploads.processing import (
    DATABASE_ERRORS,
    upload_files_remove_expired,
    upload_process,
    uploads_recover_stuck,
)

# A broker that is down must cost the sender (a user's upload request) about a second, not
# Celery's default patience: one quick retry for a stale pooled connection, then give up. A
# failed send is not lost: the periodic re-dispatch sends the queued upload again.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


class QuickToGiveUpTask(Task):
    """A task whose sending (delay, apply_async, retries) gives up fast on a broker outage."""

    def apply_async(
        self,
        args: Any = None,
        kwargs: Any = None,
        task_id: Any = None,
        producer: Any = None,
        link: Any = None,
        link_error: Any = None,
        shadow: Any = None,
        **options: Any,
    ) -> Any:
        options.setdefault("retry_policy", PUBLISH_RETRY_POLICY)
        return super().apply_async(
            args, kwargs, task_id, producer, link, link_error, shadow, **options
        )


# acks_late + reject_on_worker_lost: a worker killed mid-file leaves the message to be delivered
# again. retry_on_worker_lost sends it again as a retry instead (bounded by max_retries, so a
# file that kills its worker can't loop forever); the requeue stays the fallback when that send
# fails. The claim in upload_process makes every further delivery harmless.
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
    """Process one upload (no-op when it is already done or owned by another run)."""
    try:
        upload_process(upload_id=upload_id, resumed=_is_resumed(self.request))
    except DATABASE_ERRORS:
        # The connection may be dead (a killed backend, a restarted server): the retry opens
        # a fresh one instead of failing on the broken one again.
        connections.close_all()
        raise


def _is_resumed(request: Any) -> bool:
    """True when an earlier delivery of this very task ran and stopped (worker lost, DB error)."""
    delivery_info = request.delivery_info or {}
    return bool(request.retries) or bool(delivery_info.get("redelivered"))


@shared_task(name="uploads.recover_stuck_uploads")
def recover_stuck_uploads() -> dict[str, int]:
    """Periodic: re-queue stalled uploads, re-dispatch forgotten ones, fail hopeless ones."""
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
