"""What the worker does with an upload: claim it, read it, judge and store its rows, report.

Every state change is a conditional UPDATE, so two runs (a redelivered message, a recovered
stall) can't both own an upload: a run claims it by bumping `attempts` and only writes while
`attempts` still holds its number. While it owns the upload a run beats (`heartbeat_at`) every
few seconds from a thread of its own, whatever the rows cost: a beat older than
settings.UPLOAD_STALE_AFTER means the run is dead, and the recovery sweep takes over.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import psycopg
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from activities.batch import activity_rows_process
from activities.files import read_activity_file, rejected_activities_csv, rejected_activities_txt
from emails.messages import upload_complete_email, upload_failed_email
from learners.engine.rows import LearnerRow
from learners.engine.services import RowResult, learner_rows_process
from learners.formats import FileFormatError, TooManyRecordsError, read_learner_file
from learners.models import CompletionRecord, RecordSource
from learners.report import rejected_rows_csv, rejected_rows_txt
from uploads import events, refusals
from uploads.models import Mode, Upload, UploadQuerySet, UploadStatus, report_path

logger = logging.getLogger(__name__)
_Read = TypeVar("_Read")

# Rows judged (and stored) per database round; progress is reported after each chunk.
CHUNK_SIZE = 500
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


def upload_process(*, upload_id: int, task_id: str = "") -> None:
    """Judge an upload's rows, store the good ones and report the rest; safe to run twice.

    `task_id`: the Celery task running this. A redelivery of the task that holds the claim (its
    worker died, or the database went away) takes the upload over without waiting.
    """
    upload = upload_claim(upload_id=upload_id, task_id=task_id)
    if upload is None:
        return
    attempt = upload.attempts
    heartbeat = Heartbeat(upload_id, attempt)
    heartbeat.start()
    try:
        _process(upload, attempt, heartbeat)
    except Superseded:
        logger.info("Upload %s attempt %s was superseded", upload_id, attempt)
    except DATABASE_ERRORS:
        # The database, not the file: the task retries and the next run takes over this claim.
        logger.warning("Upload %s attempt %s lost the database", upload_id, attempt)
        raise
    except Exception as exc:
        logger.exception("Upload %s failed", upload_id)
        upload_fail(upload=upload, attempt=attempt, message=UNEXPECTED_ERROR, error=repr(exc))
    finally:
        heartbeat.stop()


def upload_claim(*, upload_id: int, task_id: str = "") -> Upload | None:
    """Take the upload for this run: queued, processing with a dead run, or held by this task."""
    now = timezone.now()
    stale = now - settings.UPLOAD_STALE_AFTER
    claimable = Q(status=UploadStatus.QUEUED) | Q(
        status=UploadStatus.PROCESSING, heartbeat_at__lt=stale, attempts__lt=max_attempts()
    )
    if task_id:
        # Its own earlier run is known to be gone; the bumped `attempts` fences that run off
        # should it ever write again. Bounded by the task's max_retries, not by attempts.
        claimable |= Q(status=UploadStatus.PROCESSING, task_id=task_id)
    with transaction.atomic():
        claimed = Upload.objects.filter(claimable, pk=upload_id).update(
            status=UploadStatus.PROCESSING,
            attempts=F("attempts") + 1,
            task_id=task_id[:64],
            started_at=now,
            heartbeat_at=now,
            progress_records=0,
        )
        if not claimed:
            return None
        upload = Upload.objects.select_related("provider", "user").get(pk=upload_id)
        events.upload_started_event(upload=upload, attempt=upload.attempts)
    return upload


class Heartbeat:
    """A thread that says "this run is alive" every few seconds while the run owns the upload.

    Beats don't wait for the rows: a chunk that takes long (a big match, a busy database) is not
    a dead run. When a beat finds the upload no longer owned (cancelled, recovered), `lost` is
    set and the run stops at its next progress report.
    """

    def __init__(self, upload_id: int, attempt: int) -> None:
        self.upload_id, self.attempt = upload_id, attempt
        self.lost = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"upload-{upload_id}-heartbeat", daemon=True
        )

    def start(self) -> None:
        # Another connection can't see rows of a transaction still open (a test's): nothing
        # to beat for then, and the progress reports still beat once per chunk.
        if not connection.in_atomic_block:
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=settings.UPLOAD_HEARTBEAT_SECONDS + 5)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(settings.UPLOAD_HEARTBEAT_SECONDS):
                self._beat()
        finally:
            connection.close()  # this thread's own connection

    def _beat(self) -> None:
        try:
            if not _owned(self.upload_id, self.attempt).update(heartbeat_at=timezone.now()):
                self.lost.set()
                self._stopped.set()
        except DATABASE_ERRORS:
            # A missed beat: the next one may get through; many missed ones mean recovery.
            logger.warning("Upload %s: heartbeat not recorded", self.upload_id, exc_info=True)
            connection.close()


def _process(upload: Upload, attempt: int, heartbeat: Heartbeat) -> None:
    if upload.is_activities:
        _process_activities(upload, attempt, heartbeat)
        return
    rows = _read(upload, attempt, _learner_reader(upload))
    if rows is None:
        return
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
        on_progress=_progress_reporter(upload.pk, attempt, heartbeat),
    )
    if upload.mode == Mode.SUBMIT:
        _note_deletions(upload, outcome.results)
    reports = _write_reports(upload, outcome.results)
    _complete(upload, attempt, outcome, reports=reports)


def _process_activities(upload: Upload, attempt: int, heartbeat: Heartbeat) -> None:
    """An activity file: the activities' batch service judges and stores, the same way."""
    found = _read(
        upload,
        attempt,
        lambda data: read_activity_file(data, file_type=upload.file_type),
        count=lambda found: len(found.items),
    )
    if found is None:
        return
    outcome = activity_rows_process(
        provider=upload.provider,
        items=found.items,
        today=timezone.localdate(),
        store=upload.mode == Mode.SUBMIT,
        on_progress=_progress_reporter(upload.pk, attempt, heartbeat),
    )
    reports = ("", "")
    if outcome.rejected:
        reports = _save_reports(
            upload,
            txt=rejected_activities_txt(outcome.results, layout=found.layout),
            csv=rejected_activities_csv(outcome.results, layout=found.layout),
        )
    _complete(upload, attempt, outcome, reports=reports)


def _learner_reader(upload: Upload) -> Callable[[bytes], list[LearnerRow]]:
    return lambda data: read_learner_file(data, file_type=upload.file_type, program=upload.program)


def _read(
    upload: Upload,
    attempt: int,
    reader: Callable[[bytes], _Read],
    *,
    count: Callable[[_Read], int] = len,  # type: ignore[assignment]
) -> _Read | None:
    """The stored file read by `reader`; None when it can't be read, and the upload then failed
    (with the words the upload page would have used had the request read it)."""
    with upload.file.open("rb") as stored:
        data = stored.read()
    try:
        rows = reader(data)
    except TooManyRecordsError as exc:
        upload_fail(
            upload=upload, attempt=attempt, message=str(refusals.too_many_records(None, str(exc)))
        )
        return None
    except FileFormatError as exc:
        upload_fail(upload=upload, attempt=attempt, message=str(refusals.not_formatted(str(exc))))
        return None
    # The request only estimated the count of a file it did not read (see services.py).
    total = count(rows)
    if not _owned(upload.pk, attempt).update(total_records=total):
        raise Superseded
    upload.total_records = total
    return rows


def _owned(upload_id: int, attempt: int) -> UploadQuerySet:
    return Upload.objects.filter(pk=upload_id, attempts=attempt, status=UploadStatus.PROCESSING)


def _progress_reporter(upload_id: int, attempt: int, heartbeat: Heartbeat) -> Callable[[int], None]:
    def report(done: int) -> None:
        # One cheap UPDATE per chunk: the progress bar, and a beat of its own.
        if heartbeat.lost.is_set() or not _owned(upload_id, attempt).update(
            progress_records=done, heartbeat_at=timezone.now()
        ):
            raise Superseded

    return report


def _note_deletions(upload: Upload, results: Sequence[RowResult]) -> None:
    """Link the records the upload's accepted Delete rows removed (idempotent: a re-run adds none).

    By Credit ID, not by the engine's record id: a re-run finds those records already deleted.
    """
    credit_ids = {r.credit_id for r in results if r.accepted and r.action == "delete"}
    if credit_ids:
        records = CompletionRecord.objects.filter(
            provider=upload.provider, credit_id__in=credit_ids
        )
        upload.deleted_records.add(*records)


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


class Outcome(Protocol):
    """What a batch service answers, for learners or activities alike."""

    @property
    def results(self) -> Sequence[object]: ...
    @property
    def accepted(self) -> int: ...
    @property
    def rejected(self) -> int: ...


def _complete(upload: Upload, attempt: int, outcome: Outcome, *, reports: tuple[str, str]) -> None:
    total = len(outcome.results)
    with transaction.atomic():
        done = _owned(upload.pk, attempt).update(
            status=UploadStatus.COMPLETED,
            total_records=total,
            processed_records=outcome.accepted,
            rejected_records=outcome.rejected,
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
        # Queued in this transaction, sent once it commits: the email says what the database says.
        upload_email_queue(upload=upload)


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
        upload_email_queue(upload=upload)


def upload_email_queue(*, upload: Upload) -> None:
    """Queue the email that tells the uploader how their upload ended (completed or failed)."""
    if upload.status == UploadStatus.COMPLETED:
        email = upload_complete_email(upload=upload)
    else:
        email = upload_failed_email(upload=upload)
    if email is not None:
        events.upload_email_queued_event(upload=upload, to=email.to)
