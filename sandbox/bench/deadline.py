"""Reporting-deadline day: many providers upload at once; how long until every file is done?

Each provider's staff POST a valid 2,500-row learner file through the real upload view; real
Celery workers (the compose file's settings) process them. Afterwards every upload is checked:
finished, each row either stored or rejected (`lost`), and no completion stored twice
(`doubled`). The uploads and their records are then removed, so the loaded database stays as
it was.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from learners.engine.rows import LearnerRow
from learners.formats.writers import encode_learner_file
from learners.models import CompletionRecord
from portal.models import Provider
from sandbox.bench.rows import (
    BOARD_COUNT,
    DAYS_PER_ACTIVITY,
    Reference,
    Sizes,
    accme_id,
    diplomate_id,
    learner_birthday,
    learner_name,
)
from sandbox.bench.timing import percentile
from sandbox.bench.workers import celery_workers
from uploads.models import FINAL_STATUSES, Upload, UploadStatus

POSTING_THREADS = 8
NEW_LEARNER_STEP = 1000  # deadline completions name learners the loaded records don't


@dataclass(frozen=True)
class DeadlineFigures:
    uploads: int
    rows: int
    drain_s: float
    wait_p50_s: float
    wait_p95_s: float
    stored: int
    rejected: int
    lost: int
    doubled: int

    @property
    def records_per_s(self) -> float:
        return self.stored / self.drain_s if self.drain_s else 0.0


def _open_moc_activities(provider: Provider, today: date) -> list[Activity]:
    return list(
        Activity.objects.for_provider(provider)
        .filter(start_date__year__gte=today.year - 1, moc_registrations__isnull=False)
        .prefetch_related("moc_registrations__board", "moc_registrations__credit_types")
        .order_by("pk")
    )


def _row(number: int, activity: Activity, place: int, sizes: Sizes, ref: Reference) -> LearnerRow:
    """A valid MOC completion of a learner holding the activity's board id, on a day after
    the loaded completions of that activity (so never one of theirs)."""
    registration = activity.moc_registrations.all()[0]
    per_board = sizes.learners // BOARD_COUNT
    day, step = DAYS_PER_ACTIVITY + place % 30, NEW_LEARNER_STEP + place
    base = ((activity.pk - 1) * 7919) % per_board
    board_index = ref.boards.index(registration.board_id)
    learner = ((base + step) % per_board) * BOARD_COUNT + board_index
    first, last = learner_name(learner)
    month, birth_day = learner_birthday(learner)
    return LearnerRow(
        row_number=number, record_action="Add", activity_id=activity.activity_id,
        completion_date=(activity.start_date + timedelta(days=day)).strftime("%m/%d/%Y"),
        first_name=first, last_name=last, birth_date=f"{month:02d}/{birth_day:02d}",
        cme_credits="1.00", board=registration.board.code, board_id=diplomate_id(learner),
        board_points="1.00", credit_type=registration.credit_types.all()[0].name,
        credit_type_points="1.00",
    )  # fmt: skip


def deadline_file(
    provider: Provider, *, rows: int, sizes: Sizes, ref: Reference, today: date
) -> bytes:
    activities = _open_moc_activities(provider, today)
    if not activities:
        raise RuntimeError(f"Provider {provider.accme_id} has no open MOC activity.")
    generated = [
        _row(n + 1, activities[n % len(activities)], n // len(activities), sizes, ref)
        for n in range(rows)
    ]
    return encode_learner_file(
        generated, file_type="txt", program="board", provider=provider, today=today
    )


def _post(provider_pk: int, data: bytes) -> int:
    """One provider's staff upload the file through the upload page; returns the upload's id."""
    try:
        user = get_user_model().objects.get(membership__provider_id=provider_pk)
        client = Client()
        client.force_login(user)
        form = {
            "kind": "learners", "file_type": "txt", "program": "board", "mode": "submit",
            "file": SimpleUploadedFile("deadline.txt", data, content_type="text/plain"),
        }  # fmt: skip
        response = client.post(reverse("uploads:new"), form, secure=True)
        if response.status_code != 303:
            raise RuntimeError(f"Upload of provider {provider_pk}: HTTP {response.status_code}")
        return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    finally:
        connections.close_all()  # this thread's connection


def _wait(upload_ids: Sequence[int], timeout: float) -> float:
    """Seconds until every upload reached a final status (or the timeout passed)."""
    started = time.perf_counter()
    pending = Upload.objects.filter(pk__in=upload_ids).exclude(status__in=FINAL_STATUSES)
    while pending.exists() and time.perf_counter() - started < timeout:
        time.sleep(0.5)
    return time.perf_counter() - started


def lost_and_doubled(upload_ids: Sequence[int]) -> tuple[int, int]:
    """Uploads not completed plus rows neither stored nor rejected; completions stored twice."""
    uploads = Upload.objects.filter(pk__in=upload_ids)
    lost = len(upload_ids) - uploads.filter(status=UploadStatus.COMPLETED).count()
    for upload in uploads.filter(status=UploadStatus.COMPLETED):
        stored = CompletionRecord.objects.filter(upload=upload).count()
        lost += max(0, upload.total_records - stored - upload.rejected_records)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) - count(DISTINCT (activity_id, learner_id, completion_date)) "
            "FROM learners_completionrecord WHERE upload_id = ANY(%s) AND status <> 'deleted'",
            [list(upload_ids)],
        )
        doubled = int(cursor.fetchone()[0])  # type: ignore[index]
    return lost, doubled


def _waits(upload_ids: Sequence[int]) -> list[float]:
    """Each upload's wait: from its POST until it was processed."""
    finished = Upload.objects.filter(pk__in=upload_ids, finished_at__isnull=False)
    return [
        (finished_at - created_at).total_seconds()
        for created_at, finished_at in finished.values_list("created_at", "finished_at")
        if finished_at is not None
    ]


def remove(upload_ids: Sequence[int]) -> None:
    """The deadline's uploads and records go, so the loaded database is as it was.

    Half a million records: deleted by SQL (their Credit IDs first), not one by one through
    the ORM's collector; the uploads then through the ORM, so their files go too.
    """
    ids = list(upload_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM learners_recordcreditid c USING learners_completionrecord r "
            "WHERE c.record_id = r.id AND r.upload_id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM learners_completionrecord WHERE upload_id = ANY(%s)", [ids])
    Upload.objects.filter(pk__in=ids).delete()


def deadline_run(
    *, providers: int, rows: int, sizes: Sizes, ref: Reference, today: date, timeout: float
) -> DeadlineFigures:
    """`providers` uploads of `rows` rows sent at once, processed by real workers."""
    chosen = list(
        Provider.objects.filter(accme_id__in=[accme_id(p) for p in range(1, providers + 1)])
    )
    files = {p.pk: deadline_file(p, rows=rows, sizes=sizes, ref=ref, today=today) for p in chosen}
    upload_ids: list[int] = []
    try:
        with celery_workers(f"bench-deadline-{uuid.uuid4().hex[:8]}"):
            sent_at = timezone.now()
            with ThreadPoolExecutor(POSTING_THREADS) as pool:
                upload_ids = list(pool.map(_post, files, files.values()))
            _wait(upload_ids, timeout)
        return _figures(upload_ids, rows, sent_at)
    finally:
        remove(upload_ids)


def _figures(upload_ids: Sequence[int], rows: int, sent_at: datetime) -> DeadlineFigures:
    uploads = Upload.objects.filter(pk__in=upload_ids)
    last = uploads.aggregate(last=Max("finished_at"))["last"] or timezone.now()
    waits = _waits(upload_ids)
    lost, doubled = lost_and_doubled(upload_ids)
    return DeadlineFigures(
        uploads=len(upload_ids), rows=rows * len(upload_ids),
        drain_s=(last - sent_at).total_seconds(),
        wait_p50_s=percentile(waits, 50), wait_p95_s=percentile(waits, 95),
        stored=CompletionRecord.objects.filter(upload_id__in=upload_ids).count(),
        rejected=sum(uploads.values_list("rejected_records", flat=True)),
        lost=lost, doubled=doubled,
    )  # fmt: skip
