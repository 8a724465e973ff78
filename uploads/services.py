"""Taking a file in: the immediate checks, the one-at-a-time lock, duplicates, dispatch, admin actions.

What happens in the worker lives in `uploads/processing.py`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activities.files import read_activity_file
from activities.inputs import ActivityInput
from learners.engine.rows import LearnerRow
from learners.formats import FileFormatError, TooManyRecordsError, read_learner_file
from portal.models import Provider
from uploads import events, refusals
from uploads.content import content_mismatch
from uploads.models import (
    ACTIVE_STATUSES,
    FileType,
    Mode,
    Program,
    Upload,
    UploadKind,
    UploadStatus,
)

logger = logging.getLogger(__name__)

RERUNNABLE_STATUSES = (UploadStatus.FAILED, UploadStatus.CANCELLED)


@dataclass(frozen=True)
class IncomingFile:
    """The file as the browser sent it; `read` is only called once the cheap checks pass."""

    name: str
    size: int
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Intake:
    """A stored upload; `duplicate_of` is set when it waits for the user's confirmation."""

    upload: Upload
    duplicate_of: Upload | None = None


def upload_create(
    *,
    provider: Provider,
    user: Any,
    file_type: str,
    program: str,
    mode: str,
    incoming: IncomingFile,
    kind: str = UploadKind.LEARNERS,
) -> Intake:
    """Check a file at once, store it and queue it (or hold it as a possible duplicate)."""
    if kind == UploadKind.ACTIVITIES:
        program = Program.BOARD  # the submission type is a learner-file choice
    _check_before_reading(
        provider=provider, file_type=file_type, program=program, incoming=incoming
    )
    data = incoming.read()
    rows = upload_file_read(data=data, file_type=file_type, program=program, kind=kind)
    sha256 = hashlib.sha256(data).hexdigest()
    previous = None
    if mode == Mode.SUBMIT:
        previous = upload_find_duplicate(
            provider=provider,
            name=incoming.name,
            file_type=file_type,
            size=len(data),
            sha256=sha256,
            kind=kind,
        )
    upload = Upload(
        kind=kind,
        provider=provider,
        user=user,
        original_name=incoming.name,
        size=len(data),
        sha256=sha256,
        file_type=file_type,
        program=program,
        mode=mode,
        total_records=len(rows),
        status=UploadStatus.PENDING if previous else UploadStatus.QUEUED,
        queued_at=None if previous else timezone.now(),
    )
    upload.file.save(_storage_name(file_type), ContentFile(data), save=False)
    try:
        with transaction.atomic():
            upload.save()
            if previous:
                events.upload_duplicate_detected_event(upload=upload, previous=previous)
            else:
                events.upload_created_event(upload=upload)
                upload_dispatch(upload=upload)
    except IntegrityError:
        # The partial unique constraint: another upload of this provider is queued or processing.
        upload.file.delete(save=False)
        raise refusals.in_progress() from None
    return Intake(upload=upload, duplicate_of=previous)


def _check_before_reading(
    *, provider: Provider, file_type: str, program: str, incoming: IncomingFile
) -> None:
    if file_type not in FileType.values:
        raise ValueError(f"Unknown file type {file_type!r}")
    if PurePath(incoming.name).suffix.lower() != f".{file_type}":
        raise refusals.wrong_extension(file_type, incoming.name)
    if incoming.size > settings.UPLOAD_MAX_BYTES:
        raise refusals.too_large(incoming.size)
    if program == Program.REMS and not provider.participates_in_rems:
        raise refusals.rems_not_available()
    # An early, friendly answer; the database constraint is what really keeps it one at a time.
    if Upload.objects.for_provider(provider).active().exists():
        raise refusals.in_progress()


def upload_file_read(
    *, data: bytes, file_type: str, program: str, kind: str = UploadKind.LEARNERS
) -> Sequence[LearnerRow | ActivityInput]:
    """The file's rows (learners or activities), or the refusal that says why it can't be taken."""
    mismatch = content_mismatch(data, file_type=file_type)
    if mismatch is not None:
        raise refusals.wrong_content(file_type, mismatch)
    try:
        rows: Sequence[LearnerRow | ActivityInput]
        if kind == UploadKind.ACTIVITIES:
            rows = read_activity_file(data, file_type=file_type).items
        else:
            rows = read_learner_file(data, file_type=file_type, program=program)
    except TooManyRecordsError as exc:
        raise refusals.too_many_records(None, str(exc)) from None
    except FileFormatError as exc:
        raise refusals.not_formatted(str(exc)) from None
    if len(rows) > settings.UPLOAD_MAX_RECORDS:
        raise refusals.too_many_records(len(rows))
    return rows


def upload_find_duplicate(
    *,
    provider: Provider,
    name: str,
    file_type: str,
    size: int,
    sha256: str,
    kind: str = UploadKind.LEARNERS,
) -> Upload | None:
    """A submitted upload of the last 30 days with the same name, type and size, or the same bytes."""
    since = timezone.now() - settings.UPLOAD_RETENTION
    same_file = Q(original_name__iexact=name, file_type=file_type, size=size) | Q(sha256=sha256)
    return (
        Upload.objects.for_provider(provider)
        .visible()
        .filter(same_file, mode=Mode.SUBMIT, kind=kind, created_at__gte=since)
        .order_by("-created_at", "-id")
        .first()
    )


def upload_confirm(*, provider: Provider, user: Any, upload_id: int) -> Upload:
    """The user said "Yes, upload file" to a possible duplicate: queue it, override recorded."""
    try:
        with transaction.atomic():
            claimed = _pending(provider=provider, user=user, upload_id=upload_id).update(
                status=UploadStatus.QUEUED, duplicate_override=True, queued_at=timezone.now()
            )
            if not claimed:
                raise refusals.not_pending()
            upload = Upload.objects.get(pk=upload_id)
            events.upload_duplicate_confirmed_event(upload=upload)
            upload_dispatch(upload=upload)
    except IntegrityError:
        raise refusals.in_progress() from None
    return upload


def upload_discard(*, provider: Provider, user: Any, upload_id: int) -> None:
    """The user said "No, don't upload": forget the held file entirely."""
    pending = _pending(provider=provider, user=user, upload_id=upload_id)
    names = list(pending.values_list("file", flat=True))
    with transaction.atomic():
        deleted, _ = pending.delete()
        if not deleted:
            raise refusals.not_pending()
        transaction.on_commit(lambda: _delete_stored(names))


def _pending(*, provider: Provider, user: Any, upload_id: int) -> Any:
    return Upload.objects.for_provider(provider).filter(
        pk=upload_id, user=user, status=UploadStatus.PENDING
    )


def upload_dispatch(*, upload: Upload) -> None:
    """Send the upload to a worker once the row that says so is committed."""
    upload_id = upload.pk
    transaction.on_commit(lambda: upload_send_to_worker(upload_id=upload_id))


def upload_send_to_worker(*, upload_id: int) -> None:
    from uploads.tasks import process_upload

    try:
        process_upload.delay(upload_id)
    except Exception as exc:
        # The row is committed and queued: the recovery task dispatches it again later,
        # so a broker outage must not turn a good upload into an error page.
        logger.exception("Could not dispatch upload %s", upload_id)
        upload = Upload.objects.filter(pk=upload_id).first()
        if upload is not None:
            events.upload_dispatch_failed_event(upload=upload, error=repr(exc))


def upload_rerun(*, upload_id: int, by: str) -> Upload:
    """Admin: queue a failed or cancelled upload again (still one at a time per provider)."""
    upload = Upload.objects.get(pk=upload_id)
    if upload.status not in RERUNNABLE_STATUSES:
        raise refusals.not_rerunnable(upload.get_status_display())
    if not upload.file or upload.files_removed_at is not None:
        raise refusals.file_gone()
    try:
        with transaction.atomic():
            requeued = Upload.objects.filter(pk=upload_id, status__in=RERUNNABLE_STATUSES).update(
                status=UploadStatus.QUEUED,
                queued_at=timezone.now(),
                attempts=0,
                progress_records=0,
                error_message="",
                started_at=None,
                finished_at=None,
            )
            if not requeued:
                raise refusals.not_rerunnable("no longer failed or cancelled")
            upload.refresh_from_db()
            events.upload_rerun_event(upload=upload, by=by)
            upload_dispatch(upload=upload)
    except IntegrityError:
        raise refusals.in_progress() from None
    return upload


def upload_cancel(*, upload_id: int, by: str) -> Upload:
    """Admin: stop a queued or stuck upload and release its provider's lock."""
    with transaction.atomic():
        cancelled = Upload.objects.filter(pk=upload_id, status__in=ACTIVE_STATUSES).update(
            status=UploadStatus.CANCELLED,
            finished_at=timezone.now(),
            error_message=f"Cancelled by {by}.",
        )
        upload = Upload.objects.get(pk=upload_id)
        if not cancelled:
            raise refusals.not_cancellable(upload.get_status_display())
        events.upload_cancelled_event(upload=upload, by=by)
    return upload


def _storage_name(file_type: str) -> str:
    # Never the user's file name in storage paths: it is kept in original_name instead.
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(6)}.{file_type}"


def _delete_stored(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)
