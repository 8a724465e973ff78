"""One function per thing that happens to an upload; each writes one UploadEvent row."""

from __future__ import annotations

from typing import Any

from uploads.models import Upload, UploadEvent, UploadEventType


def _record(upload: Upload, type_: UploadEventType, message: str = "", **data: Any) -> UploadEvent:
    return UploadEvent.objects.create(upload=upload, type=type_, message=message, data=data)


def upload_created_event(*, upload: Upload) -> UploadEvent:
    return _record(
        upload,
        UploadEventType.CREATED,
        f"{upload.original_name} queued.",
        mode=upload.mode,
        size=upload.size,
        records=upload.total_records,
    )


def upload_duplicate_detected_event(*, upload: Upload, previous: Upload) -> UploadEvent:
    return _record(
        upload,
        UploadEventType.DUPLICATE_DETECTED,
        f"Looks like upload {previous.pk} ({previous.original_name}); awaiting confirmation.",
        previous_id=previous.pk,
    )


def upload_duplicate_confirmed_event(*, upload: Upload) -> UploadEvent:
    return _record(upload, UploadEventType.DUPLICATE_CONFIRMED, "The user chose to upload it.")


def upload_dispatch_failed_event(*, upload: Upload, error: str) -> UploadEvent:
    return _record(
        upload,
        UploadEventType.DISPATCH_FAILED,
        "The task queue could not be reached; it is sent again once the queue is back.",
        error=error,
    )


def upload_started_event(*, upload: Upload, attempt: int) -> UploadEvent:
    return _record(upload, UploadEventType.STARTED, f"Attempt {attempt}.", attempt=attempt)


def upload_completed_event(*, upload: Upload) -> UploadEvent:
    return _record(
        upload,
        UploadEventType.COMPLETED,
        f"{upload.processed_records} processed, {upload.rejected_records} not processed.",
        total=upload.total_records,
        processed=upload.processed_records,
        rejected=upload.rejected_records,
    )


def upload_failed_event(*, upload: Upload, message: str) -> UploadEvent:
    return _record(upload, UploadEventType.FAILED, message)


def upload_requeued_event(*, upload: Upload, reason: str) -> UploadEvent:
    return _record(upload, UploadEventType.REQUEUED, reason)


def upload_redispatched_event(*, upload: Upload, reason: str) -> UploadEvent:
    return _record(upload, UploadEventType.REDISPATCHED, reason)


def upload_rerun_event(*, upload: Upload, by: str) -> UploadEvent:
    return _record(upload, UploadEventType.RERUN, f"Re-run by {by}.", by=by)


def upload_cancelled_event(*, upload: Upload, by: str) -> UploadEvent:
    return _record(upload, UploadEventType.CANCELLED, f"Cancelled by {by}.", by=by)


def upload_email_queued_event(*, upload: Upload, to: str) -> UploadEvent:
    return _record(upload, UploadEventType.EMAIL_QUEUED, f"Email to {to} queued.", to=to)


def upload_files_removed_event(*, upload: Upload, names: list[str]) -> UploadEvent:
    return _record(
        upload,
        UploadEventType.FILES_REMOVED,
        "Stored file and reports removed after the retention period.",
        names=names,
    )
