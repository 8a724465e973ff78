"""Celery tasks: thin interfaces that call the upload services by id."""

from __future__ import annotations

from celery import shared_task

from uploads.processing import upload_files_remove_expired, upload_process, uploads_recover_stuck


# acks_late + reject_on_worker_lost: a worker killed mid-file leaves the message to be delivered
# again; the claim in upload_process makes the second delivery harmless.
@shared_task(name="uploads.process_upload", acks_late=True, reject_on_worker_lost=True)
def process_upload(upload_id: int) -> None:
    """Process one upload (no-op when it is already done or owned by another run)."""
    upload_process(upload_id=upload_id)


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
