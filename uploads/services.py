"""Taking a file in: the immediate checks, the one-at-a-time lock, duplicates, dispatch, admin actions.

What happens in the worker lives in `uploads/processing.py`.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activities.files import read_activity_file
from activities.inputs import ActivityInput
from learners.engine.rows import LearnerRow
from learners.formats import FileFormatError, TooManyRecordsError, read_learner_file
from learners.formats.xlsx import NOT_A_WORKBOOK, check_workbook_zip
from portal.models import Provider
from uploads import events, refusals
from uploads.content import content_mismatch, worksheet_rows_estimate
from uploads.dispatch import upload_dispatch
from uploads.models import (
    ACTIVE_STATUSES,
    FileType,
    Mode,
    Program,
    Upload,
    UploadKind,
    UploadQuerySet,
    UploadStatus,
)
from uploads.refusals import Refusal, UploadRefused

RERUNNABLE_STATUSES = (UploadStatus.FAILED, UploadStatus.CANCELLED)
# The same file with the same choices from the same user this soon, while the first still runs,
# is the same submission sent twice (a double click, a form sent again): it is answered with
# the first rather than "your previously uploaded file is in progress".
RESENT_WITHIN = timedelta(seconds=30)


@dataclass(frozen=True)
class IncomingFile:
    """The file as the browser sent it; `open` (a seekable binary file at its start) is only
    called once the cheap checks pass, and the file is never read whole unless it is small."""

    name: str
    size: int
    open: Callable[[], BinaryIO]

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> IncomingFile:
        return cls(name=name, size=len(data), open=lambda: io.BytesIO(data))


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
    corrects: Upload | None = None,
    corrected_rows: Sequence[str] = (),
) -> Intake:
    """Check a file at once, store it and queue it (or hold it as a possible duplicate).

    `corrects`, `corrected_rows`: a file of rejected rows fixed in the browser names the upload it
    corrects and the rows it sends again (uploads/corrections.py).
    """
    if kind == UploadKind.ACTIVITIES:
        program = Program.BOARD  # the submission type is a learner-file choice
    stream = incoming.open()
    sha256 = _sha256(stream)
    submission = _Submission(provider, user, sha256, file_type, program, mode, kind, corrects)
    try:
        _check_before_reading(
            provider=provider, file_type=file_type, program=program, incoming=incoming
        )
    except UploadRefused as refusal:
        return submission.answered_by_the_first(refusal)
    records = upload_file_check(stream=stream, file_type=file_type, program=program, kind=kind)
    previous = None
    if mode == Mode.SUBMIT:
        previous = upload_find_duplicate(
            provider=provider,
            name=incoming.name,
            file_type=file_type,
            size=incoming.size,
            sha256=sha256,
            kind=kind,
        )
        if previous is not None and (first := submission.still_running()) is not None:
            return Intake(upload=first)  # no duplicate: this very submission, sent twice
    upload = Upload(
        kind=kind,
        provider=provider,
        user=user,
        original_name=incoming.name,
        size=incoming.size,
        sha256=sha256,
        file_type=file_type,
        program=program,
        mode=mode,
        total_records=records,
        status=UploadStatus.PENDING if previous else UploadStatus.QUEUED,
        queued_at=None if previous else timezone.now(),
        corrects=corrects,
        corrected_rows=list(corrected_rows),
    )
    stream.seek(0)
    upload.file.save(_storage_name(file_type), File(stream), save=False)
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
        return submission.answered_by_the_first(refusals.in_progress())
    return Intake(upload=upload, duplicate_of=previous)


@dataclass(frozen=True)
class _Submission:
    """What a user sent: the file's bytes and every choice made with it."""

    provider: Provider
    user: Any
    sha256: str
    file_type: str
    program: str
    mode: str
    kind: str
    corrects: Upload | None

    def still_running(self) -> Upload | None:
        """This user's upload of the same bytes with the same choices, sent within RESENT_WITHIN
        and queued or processing still. (One already done is asked about as a duplicate.)"""
        return (
            Upload.objects.for_provider(self.provider)
            .active()
            .filter(
                user=self.user,
                sha256=self.sha256,
                file_type=self.file_type,
                program=self.program,
                mode=self.mode,
                kind=self.kind,
                corrects=self.corrects,
                created_at__gte=timezone.now() - RESENT_WITHIN,
            )
            .order_by("-created_at", "-id")
            .first()
        )

    def answered_by_the_first(self, refusal: UploadRefused) -> Intake:
        """The in-progress upload may be this very submission, sent a moment before: answer with
        it. Any other refusal stands."""
        first = self.still_running() if refusal.refusal == Refusal.IN_PROGRESS else None
        if first is None:
            raise refusal
        return Intake(upload=first)


def _check_before_reading(
    *, provider: Provider, file_type: str, program: str, incoming: IncomingFile
) -> None:
    if file_type not in FileType.values:
        raise ValueError(f"Unknown file type {file_type!r}")
    wrong_extension = refusals.extension_refusal(file_type, incoming.name)
    if wrong_extension is not None:
        raise wrong_extension
    if incoming.size > settings.UPLOAD_MAX_BYTES:
        raise refusals.too_large(incoming.size)
    if program == Program.REMS and not provider.participates_in_rems:
        raise refusals.rems_not_available()
    # An early, friendly answer; the database constraint is what really keeps it one at a time.
    if Upload.objects.for_provider(provider).active().exists():
        raise refusals.in_progress()


def upload_file_check(
    *, stream: BinaryIO, file_type: str, program: str, kind: str = UploadKind.LEARNERS
) -> int:
    """What the request can tell of a file at little cost: a refusal, or its record count.

    A workbook, or a text file over settings.UPLOAD_INLINE_READ_BYTES, is not read here: reading
    costs many times its size in memory (a 500 KB .xlsx can unzip to 200 MB), and a web process
    serves many requests at once. Its cheap facts are checked now; the worker reads it, and
    anything wrong with it then fails the upload with the same words, on its page and by email.
    The count returned for such a file is the worksheet's own estimate, or 0.
    """
    mismatch = content_mismatch(stream, file_type=file_type)
    if mismatch is not None:
        raise refusals.wrong_content(file_type, mismatch)
    if file_type == FileType.XLSX:
        return _workbook_check(stream)
    stream.seek(0)
    data = stream.read(settings.UPLOAD_INLINE_READ_BYTES + 1)
    if len(data) > settings.UPLOAD_INLINE_READ_BYTES:
        return 0
    return len(upload_file_read(data=data, file_type=file_type, program=program, kind=kind))


def _workbook_check(stream: BinaryIO) -> int:
    """A zip, unzipping to no more than the cap, with a worksheet: refused at once otherwise."""
    try:
        check_workbook_zip(stream)
        rows = worksheet_rows_estimate(stream)
    except FileFormatError as exc:
        raise refusals.not_formatted(str(exc)) from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise refusals.not_formatted(NOT_A_WORKBOOK) from None
    if rows is None:
        raise refusals.not_formatted(NOT_A_WORKBOOK)
    # The used range counts the heading row; a guidance row or formatted blanks may count too.
    return min(max(rows - 1, 0), settings.UPLOAD_MAX_RECORDS)


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(64 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def upload_file_read(
    *, data: bytes, file_type: str, program: str, kind: str = UploadKind.LEARNERS
) -> Sequence[LearnerRow | ActivityInput]:
    """The rows (learners or activities) of a file whose content is what its type says, or the
    refusal that says why."""
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
    with transaction.atomic():
        # Its stored file goes with the row, once the deletion is committed (uploads/signals.py).
        deleted, _ = _pending(provider=provider, user=user, upload_id=upload_id).delete()
        if not deleted:
            raise refusals.not_pending()


def _pending(*, provider: Provider, user: Any, upload_id: int) -> Any:
    return Upload.objects.for_provider(provider).filter(
        pk=upload_id, user=user, status=UploadStatus.PENDING
    )


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
                dispatched_at=None,
                task_id="",
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
    return _cancel(Upload.objects.filter(pk=upload_id), ACTIVE_STATUSES, by=by)


def upload_cancel_queued(*, provider: Provider, user: Any, upload_id: int) -> Upload:
    """A provider's staff cancel an upload no worker has started: the lock is released, and a
    worker that receives it later does nothing (its claim finds it cancelled)."""
    by = getattr(user, "email", "") or str(user)
    query = Upload.objects.for_provider(provider).filter(pk=upload_id)
    return _cancel(query, (UploadStatus.QUEUED,), by=by)


def _cancel(query: UploadQuerySet, statuses: tuple[str, ...], *, by: str) -> Upload:
    with transaction.atomic():
        cancelled = query.filter(status__in=statuses).update(
            status=UploadStatus.CANCELLED,
            finished_at=timezone.now(),
            error_message=f"Cancelled by {by}.",
        )
        upload = query.get()
        if not cancelled:
            raise refusals.not_cancellable(upload.get_status_display(), statuses)
        events.upload_cancelled_event(upload=upload, by=by)
    return upload


def _storage_name(file_type: str) -> str:
    # Never the user's file name in storage paths: it is kept in original_name instead.
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(6)}.{file_type}"
