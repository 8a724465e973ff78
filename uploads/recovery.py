"""No upload stays stuck: the recovery sweep, and the clean-up of stored files after 30 days.

The sweep runs every 10 seconds (Celery beat, uploads/schedule.py) and whenever a worker starts:
- a run whose heartbeat is older than settings.UPLOAD_STALE_AFTER is dead (its worker's main
  process was killed, its machine went away): the upload is queued and sent again, up to
  settings.UPLOAD_MAX_ATTEMPTS runs, then failed with a message (the provider's lock released);
- a queued upload the broker never took (it was down at upload time) is sent again;
- a queued upload whose message was lost (a broker restarted without its data, a worker killed
  holding it) is sent again once it is plain that no worker will take it: nothing runs anywhere,
  or an upload sent after it has started, or it has waited REDISPATCH_WHEN_BUSY;
- a queued upload no worker took for a day fails, releasing the provider's lock.
Sending twice is harmless: a run claims the upload first (uploads/processing.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from uploads import events
from uploads.dispatch import upload_dispatch, upload_send_to_worker
from uploads.models import Upload, UploadQuerySet, UploadStatus
from uploads.processing import max_attempts, upload_email_queue

# The send after the commit takes milliseconds; an upload unsent for longer had its send fail.
SEND_GRACE = timedelta(seconds=5)
# A sent upload not started after this, while nothing else runs, lost its message.
REDISPATCH_WHEN_IDLE = timedelta(seconds=30)
# However busy the workers, a message not taken after this is sent again (a duplicate is a no-op).
REDISPATCH_WHEN_BUSY = timedelta(minutes=10)
QUEUED_GIVE_UP = timedelta(hours=24)
# Holding a possible duplicate longer than this means the user walked away from the question.
PENDING_EXPIRY = timedelta(days=1)


@dataclass(frozen=True)
class Recovery:
    requeued: int = 0
    redispatched: int = 0
    failed: int = 0


def uploads_recover_stuck(*, now: datetime | None = None) -> Recovery:
    """One sweep: re-queue dead runs, send what was never sent or was lost, give up on the hopeless."""
    now = now or timezone.now()
    stale = now - settings.UPLOAD_STALE_AFTER
    requeued = failed = 0
    for upload in Upload.objects.filter(status=UploadStatus.PROCESSING, heartbeat_at__lt=stale):
        if upload.attempts >= max_attempts():
            failed += _give_up_dead_run(upload, stale, now)
        else:
            requeued += _requeue(upload, stale, now)
    redispatched = _send_unsent(now) + _send_lost(now)
    failed += _give_up_waiting(now)
    return Recovery(requeued=requeued, redispatched=redispatched, failed=failed)


def _dead_run(upload: Upload, stale: datetime) -> UploadQuerySet:
    return Upload.objects.filter(
        pk=upload.pk,
        status=UploadStatus.PROCESSING,
        attempts=upload.attempts,
        heartbeat_at__lt=stale,
    )


def _requeue(upload: Upload, stale: datetime, now: datetime) -> int:
    with transaction.atomic():
        requeued = _dead_run(upload, stale).update(
            status=UploadStatus.QUEUED, queued_at=now, dispatched_at=None, task_id=""
        )
        if not requeued:
            return 0
        since = timezone.localtime(upload.heartbeat_at)
        reason = (
            f"No sign of the worker processing it since {since:%I:%M:%S %p %Z}; queued again "
            f"for attempt {upload.attempts + 1} of {max_attempts()}."
        )
        events.upload_requeued_event(upload=upload, reason=reason)
        upload_dispatch(upload=upload)
    return 1


def _give_up_dead_run(upload: Upload, stale: datetime, now: datetime) -> int:
    message = (
        f"The file could not be processed: its processing stopped {upload.attempts} times "
        "without finishing. Rows stored before it stopped are kept (a new upload of the file "
        "reports them as duplicates). Please upload it again or contact support."
    )
    return _fail(_dead_run(upload, stale), upload, message, now)


def _send_unsent(now: datetime) -> int:
    """Send the queued uploads whose send failed (the broker was down at upload time)."""
    unsent = Upload.objects.filter(
        status=UploadStatus.QUEUED, dispatched_at__isnull=True, queued_at__lt=now - SEND_GRACE
    )
    sent = 0
    for upload in unsent.order_by("queued_at"):
        if not upload_send_to_worker(upload_id=upload.pk):
            break  # still down: the next sweep tries again
        events.upload_redispatched_event(
            upload=upload, reason="Sent to the task queue, which could not be reached before."
        )
        sent += 1
    return sent


def _send_lost(now: datetime) -> int:
    """Send again the queued uploads whose message no worker will ever take."""
    waiting = Upload.objects.filter(
        status=UploadStatus.QUEUED, dispatched_at__lt=now - REDISPATCH_WHEN_IDLE
    )
    idle = not Upload.objects.filter(
        status=UploadStatus.PROCESSING, heartbeat_at__gte=now - settings.UPLOAD_STALE_AFTER
    ).exists()
    overtaken_before = _overtaken_before(now)
    sent = 0
    for upload in waiting.order_by("dispatched_at"):
        dispatched = upload.dispatched_at
        assert dispatched is not None
        overtaken = overtaken_before is not None and dispatched < overtaken_before
        if not (idle or overtaken or dispatched < now - REDISPATCH_WHEN_BUSY):
            continue
        if not upload_send_to_worker(upload_id=upload.pk):
            break
        waited = int((now - dispatched).total_seconds())
        reason = f"No worker had taken it {waited} s after it was sent; sent again."
        events.upload_redispatched_event(upload=upload, reason=reason)
        sent += 1
    return sent


def _overtaken_before(now: datetime) -> datetime | None:
    """The latest send time of an upload a worker started a while ago.

    A queue delivers in order: an upload sent before that one and still queued was delivered to
    a worker that died holding it (or its message was otherwise lost).
    """
    started = Upload.objects.filter(
        dispatched_at__gte=now - REDISPATCH_WHEN_BUSY,
        started_at__gt=F("dispatched_at"),
        started_at__lt=now - REDISPATCH_WHEN_IDLE,
    )
    latest: datetime | None = started.aggregate(latest=Max("dispatched_at"))["latest"]
    return latest


def _give_up_waiting(now: datetime) -> int:
    failed = 0
    for upload in Upload.objects.filter(
        status=UploadStatus.QUEUED, queued_at__lt=now - QUEUED_GIVE_UP
    ):
        message = (
            "No worker took this file for processing within 24 hours, so it was not processed. "
            "Please upload it again or contact support."
        )
        query = Upload.objects.filter(
            pk=upload.pk, status=UploadStatus.QUEUED, queued_at=upload.queued_at
        )
        failed += _fail(query, upload, message, now)
    return failed


def _fail(query: UploadQuerySet, upload: Upload, message: str, now: datetime) -> int:
    with transaction.atomic():
        if not query.update(status=UploadStatus.FAILED, error_message=message, finished_at=now):
            return 0
        upload.refresh_from_db()
        events.upload_failed_event(upload=upload, message=message)
        upload_email_queue(upload=upload)
    return 1


def upload_files_remove_expired(*, now: datetime | None = None) -> int:
    """Delete stored files and reports past the retention period; drop unanswered duplicates."""
    now = now or timezone.now()
    expired = (
        Upload.objects.filter(created_at__lt=now - settings.UPLOAD_RETENTION)
        .filter(files_removed_at__isnull=True)
        .exclude(status__in=(UploadStatus.QUEUED, UploadStatus.PROCESSING, UploadStatus.PENDING))
    )
    removed = 0
    for upload in expired:
        names = [
            str(f.name) for f in (upload.file, upload.report_file, upload.report_csv_file) if f
        ]
        for name in names:
            default_storage.delete(name)
        Upload.objects.filter(pk=upload.pk).update(
            files_removed_at=now, file="", report_file="", report_csv_file=""
        )
        events.upload_files_removed_event(upload=upload, names=names)
        removed += 1
    # Their stored files go with the rows (uploads/signals.py).
    Upload.objects.filter(status=UploadStatus.PENDING, created_at__lt=now - PENDING_EXPIRY).delete()
    return removed
