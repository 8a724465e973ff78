"""What the worker does with an upload, and the periodic recovery and clean-up around it.

Every state change is a conditional UPDATE, so two workers (a redelivered message, a recovered
stall) can't both own an upload: a run claims it by bumping `attempts` and only writes while
`attempts` still holds its number.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from activities.batch import activity_rows_process
from activities.files import read_activity_file, rejected_activities_csv, rejected_activities_txt
from learners.engine.services import RowResult, learner_rows_process
from learners.formats import FileFormatError, read_learner_file
from learners.models import RecordSource
from learners.report import rejected_rows_csv, rejected_rows_txt
from uploads import emails, events
from uploads.models import Mode, Upload, UploadQuerySet, UploadStatus, report_path

logger = logging.getLogger(__name__)

# Rows judged (and stored) per database round; progress is reported after each chunk.
CHUNK_SIZE = 500
# Holding a possible duplicate longer than this means the user walked away from the question.
PENDING_EXPIRY = timedelta(days=1)
# The database went away (restart, fail-over, a dropped connection, a lock held too long):
# Django's errors, and the drivers' own, which raw-cursor work such as COPY raises unwrapped.
DATABASE_ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
)
UNEXPECTED_ERROR = (
    "An unexpected error stopped the processing of this file. Rows stored before it are kept "
    "(a new upload of the file reports them as duplicates, never stores them twice). "
    "Please upload the file again later or contact support."
)


class Superseded(Exception):
    """This run no longer owns the upload: it was cancelled or recovered by another run."""


def max_attempts() -> int:
    return int(getattr(settings, "UPLOAD_MAX_ATTEMPTS", 3))


def credit_id_prefix(upload: Upload) -> str:
    """File rows get Credit IDs from their upload and row, so a re-run yields the same ids."""
    return f"U{upload.pk}-R"


def upload_process(*, upload_id: int, resumed: bool = False) -> None:
    """Judge an upload's rows, store the good ones and report the rest; safe to run twice.

    `resumed`: an earlier run of this same task stopped (its worker died, or the database went
    away), so this run may take over the upload that run left in processing.
    """
    upload = upload_claim(upload_id=upload_id, resumed=resumed)
    if upload is None:
        return
    attempt = upload.attempts
    try:
        _process(upload, attempt)
    except Superseded:
        logger.info("Upload %s attempt %s was superseded", upload_id, attempt)
    except DATABASE_ERRORS:
        # The database, not the file: the task retries and the next run takes over this claim.
        logger.warning("Upload %s attempt %s lost the database", upload_id, attempt)
        raise
    except FileFormatError as exc:
        upload_fail(upload=upload, attempt=attempt, message=f"The file could not be read: {exc}")
    except Exception as exc:
        logger.exception("Upload %s failed", upload_id)
        upload_fail(upload=upload, attempt=attempt, message=UNEXPECTED_ERROR, error=repr(exc))


def upload_claim(*, upload_id: int, resumed: bool = False) -> Upload | None:
    """Take the upload for this run: queued, or processing with a worker gone quiet.

    A resumed task also takes it over from its own earlier run, which is known to be gone: the
    bumped `attempts` fences that run off should it ever write again.
    """
    now = timezone.now()
    stale = now - settings.UPLOAD_STUCK_AFTER
    claimable = Q(status=UploadStatus.QUEUED) | Q(
        status=UploadStatus.PROCESSING, heartbeat_at__lt=stale, attempts__lt=max_attempts()
    )
    if resumed:
        # Bounded by the task's max_retries, not by attempts: database blips don't use them up.
        claimable |= Q(status=UploadStatus.PROCESSING)
    with transaction.atomic():
        claimed = Upload.objects.filter(claimable, pk=upload_id).update(
            status=UploadStatus.PROCESSING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            progress_records=0,
        )
        if not claimed:
            return None
        upload = Upload.objects.select_related("provider", "user").get(pk=upload_id)
        events.upload_started_event(upload=upload, attempt=upload.attempts)
    return upload


def _process(upload: Upload, attempt: int) -> None:
    with upload.file.open("rb") as stored:
        data = stored.read()
    if upload.is_activities:
        _process_activities(upload, attempt, data)
        return
    rows = read_learner_file(data, file_type=upload.file_type, program=upload.program)
    outcome = learner_rows_process(
        provider=upload.provider,
        rows=rows,
        program=upload.program,
        source=RecordSource.FILE,
        today=timezone.localdate(),
        upload_id=upload.pk,
        store=upload.mode == Mode.SUBMIT,
        credit_id_prefix=credit_id_prefix(upload),
        chunk_size=CHUNK_SIZE,
        on_progress=_progress_reporter(upload.pk, attempt),
    )
    reports = _write_reports(upload, outcome.results)
    _complete(
        upload,
        attempt,
        total=len(outcome.results),
        accepted=outcome.accepted,
        rejected=outcome.rejected,
        reports=reports,
    )


def _process_activities(upload: Upload, attempt: int, data: bytes) -> None:
    """An activity file: the activities' batch service judges and stores, the same way."""
    found = read_activity_file(data, file_type=upload.file_type)
    outcome = activity_rows_process(
        provider=upload.provider,
        items=found.items,
        today=timezone.localdate(),
        store=upload.mode == Mode.SUBMIT,
        on_progress=_progress_reporter(upload.pk, attempt),
    )
    reports = ("", "")
    if outcome.rejected:
        reports = _save_reports(
            upload,
            txt=rejected_activities_txt(outcome.results, layout=found.layout),
            csv=rejected_activities_csv(outcome.results, layout=found.layout),
        )
    _complete(
        upload,
        attempt,
        total=len(outcome.results),
        accepted=outcome.accepted,
        rejected=outcome.rejected,
        reports=reports,
    )


def _owned(upload_id: int, attempt: int) -> UploadQuerySet:
    return Upload.objects.filter(pk=upload_id, attempts=attempt, status=UploadStatus.PROCESSING)


def _progress_reporter(upload_id: int, attempt: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        # One cheap UPDATE per chunk: the progress bar and the heartbeat in one go.
        if not _owned(upload_id, attempt).update(
            progress_records=done, heartbeat_at=timezone.now()
        ):
            raise Superseded

    return report


def _write_reports(upload: Upload, results: Sequence[RowResult]) -> tuple[str, str]:
    rejected = [result for result in results if not result.accepted]
    if not rejected:
        return "", ""
    return _save_reports(
        upload,
        txt=rejected_rows_txt(rejected, program=upload.program),
        csv=rejected_rows_csv(rejected, program=upload.program),
    )


def _save_reports(upload: Upload, *, txt: bytes, csv: bytes) -> tuple[str, str]:
    names = []
    for ext, content in (("txt", txt), ("csv", csv)):
        name = report_path(upload, f"upload-{upload.pk}-rejected.{ext}")
        default_storage.delete(name)  # a re-run replaces, never piles up
        names.append(default_storage.save(name, ContentFile(content)))
    return names[0], names[1]


def _complete(
    upload: Upload,
    attempt: int,
    *,
    total: int,
    accepted: int,
    rejected: int,
    reports: tuple[str, str],
) -> None:
    with transaction.atomic():
        done = _owned(upload.pk, attempt).update(
            status=UploadStatus.COMPLETED,
            total_records=total,
            processed_records=accepted,
            rejected_records=rejected,
            progress_records=total,
            report_file=reports[0],
            report_csv_file=reports[1],
            error_message="",
            finished_at=timezone.now(),
        )
        if not done:
            raise Superseded
        upload.refresh_from_db()
        events.upload_completed_event(upload=upload)
    # After the commit: the email says what the database now says.
    emails.upload_complete_email_send(upload=upload)


def upload_fail(*, upload: Upload, attempt: int, message: str, error: str = "") -> None:
    """Stop an upload for good with a message the user can read; releases the provider's lock."""
    with transaction.atomic():
        failed = _owned(upload.pk, attempt).update(
            status=UploadStatus.FAILED, error_message=message, finished_at=timezone.now()
        )
        if not failed:
            return
        upload.refresh_from_db()
        events.upload_failed_event(upload=upload, message=f"{message} {error}".strip())
    emails.upload_failed_email_send(upload=upload)


@dataclass(frozen=True)
class Recovery:
    requeued: int = 0
    redispatched: int = 0
    failed: int = 0


def uploads_recover_stuck(*, now: datetime | None = None) -> Recovery:
    """Re-queue uploads whose worker went quiet, re-dispatch ones no worker took; give up after N."""
    now = now or timezone.now()
    stale = now - settings.UPLOAD_STUCK_AFTER
    requeued = redispatched = 0
    given_up: list[Upload] = []
    for upload in Upload.objects.filter(status=UploadStatus.PROCESSING, heartbeat_at__lt=stale):
        if upload.attempts >= max_attempts():
            given_up += _give_up(
                _stale_processing(upload, stale), upload, "processing stopped", now
            )
        else:
            requeued += _requeue(upload, stale, now)
    waiting = Q(queued_at__lt=stale) | Q(queued_at__isnull=True, created_at__lt=stale)
    for upload in Upload.objects.filter(waiting, status=UploadStatus.QUEUED):
        if upload.attempts >= max_attempts():
            given_up += _give_up(_stale_queued(upload), upload, "no worker took it", now)
        else:
            redispatched += _redispatch(upload, now)
    for upload in given_up:
        emails.upload_failed_email_send(upload=upload)
    return Recovery(requeued=requeued, redispatched=redispatched, failed=len(given_up))


def _requeue(upload: Upload, stale: datetime, now: datetime) -> int:
    from uploads.services import upload_dispatch

    with transaction.atomic():
        if not _stale_processing(upload, stale).update(status=UploadStatus.QUEUED, queued_at=now):
            return 0
        reason = f"No sign of the worker since {upload.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC."
        events.upload_requeued_event(upload=upload, reason=reason)
        upload_dispatch(upload=upload)
    return 1


def _redispatch(upload: Upload, now: datetime) -> int:
    from uploads.services import upload_dispatch

    with transaction.atomic():
        if not _stale_queued(upload).update(queued_at=now, attempts=F("attempts") + 1):
            return 0
        events.upload_redispatched_event(upload=upload)
        upload_dispatch(upload=upload)
    return 1


def _stale_processing(upload: Upload, stale: datetime) -> UploadQuerySet:
    return Upload.objects.filter(
        pk=upload.pk,
        status=UploadStatus.PROCESSING,
        attempts=upload.attempts,
        heartbeat_at__lt=stale,
    )


def _stale_queued(upload: Upload) -> UploadQuerySet:
    return Upload.objects.filter(
        pk=upload.pk,
        status=UploadStatus.QUEUED,
        attempts=upload.attempts,
        queued_at=upload.queued_at,
    )


def _give_up(query: UploadQuerySet, upload: Upload, why: str, now: datetime) -> list[Upload]:
    message = (
        f"The file could not be processed after {upload.attempts} attempts ({why}). "
        "Please upload it again or contact support."
    )
    with transaction.atomic():
        if not query.update(status=UploadStatus.FAILED, error_message=message, finished_at=now):
            return []
        upload.refresh_from_db()
        events.upload_failed_event(upload=upload, message=message)
    return [upload]


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
    for pending in Upload.objects.filter(
        status=UploadStatus.PENDING, created_at__lt=now - PENDING_EXPIRY
    ):
        if pending.file:
            default_storage.delete(str(pending.file.name))
        pending.delete()
    return removed
