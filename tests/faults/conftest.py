"""Fault injection around real worker processes: the sandbox, a full-size file, and the tools
that break things (kill a worker, cut the database, freeze a run at a known point)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from learners.filegen import generate_learner_file
from learners.formats import read_learner_file
from learners.models import CompletionRecord
from learners.sandbox import seed_sandbox
from portal.models import Provider
from tests.conftest import IN_CI
from tests.factories import MembershipFactory
from tests.worker import pool_children
from uploads import dispatch
from uploads.models import Upload, UploadStatus
from uploads.processing import credit_id_prefix

TODAY = timezone.localdate()
RECORDS = 2500
ERROR_RATE = 0.04


@pytest.fixture(autouse=True)
def services_in_ci(request: pytest.FixtureRequest) -> None:
    """In CI these faults must hit PostgreSQL and Redis: a missing service fails, never skips."""
    if IN_CI and request.node.get_closest_marker("worker") is not None:
        assert connection.vendor == "postgresql", "CI must run the fault tests on PostgreSQL"
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must use Redis"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker_env(media: Path) -> dict[str, str]:
    """What a worker needs to share this test's files and keep its emails to itself."""
    return {
        "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def stop_now(worker: subprocess.Popen[bytes]) -> None:
    """Kill an idle worker and its pool children: its warm shutdown only costs the test time."""
    for pid in [*pool_children(worker.pid), worker.pid]:
        with suppress(ProcessLookupError):
            sigkill(pid)
    worker.wait(timeout=10)


@pytest.fixture
def sandbox_provider(transactional_db: None) -> Provider:
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id="0001234")


@pytest.fixture
def sandbox_client(sandbox_provider: Provider) -> Client:
    client = Client()
    client.force_login(MembershipFactory(provider=sandbox_provider).user)
    return client


@pytest.fixture
def big_file(sandbox_provider: Provider) -> bytes:
    """A 2,500-record tab-delimited file, 4% of its rows with a known defect."""
    return generate_learner_file(
        provider=sandbox_provider,
        rows=RECORDS,
        error_rate=ERROR_RATE,
        file_type="txt",
        today=TODAY,
    )


@pytest.fixture
def another_file(sandbox_provider: Provider) -> bytes:
    """A small, different file: the provider's next upload."""
    return generate_learner_file(
        provider=sandbox_provider, rows=20, error_rate=0, file_type="txt", seed=7, today=TODAY
    )


def post_file(client: Client, data: bytes, *, name: str = "Big_Learners.txt") -> Any:
    return client.post(
        reverse("uploads:new"),
        {
            "file_type": "txt",
            "program": "board",
            "mode": "submit",
            "file": SimpleUploadedFile(name, data),
        },
    )


class HeldDispatch:
    """The first uploads are committed and queued as usual, but sent to a worker on `release()`
    only (later ones go at once): a test can set a trap for a run before that run starts.

    A held upload counts as sent (`dispatched_at`), so a recovery sweep leaves it alone too.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.held: list[int] | None = []
        self.send = dispatch.upload_send_to_worker
        monkeypatch.setattr(dispatch, "upload_send_to_worker", self.hold)

    def hold(self, *, upload_id: int) -> bool:
        if self.held is None:
            return self.send(upload_id=upload_id)
        self.held.append(upload_id)
        Upload.objects.filter(pk=upload_id).update(dispatched_at=timezone.now())
        return True

    def release(self) -> None:
        held, self.held = self.held or [], None
        for upload_id in held:
            self.send(upload_id=upload_id)


@pytest.fixture
def held_dispatch(monkeypatch: pytest.MonkeyPatch) -> HeldDispatch:
    return HeldDispatch(monkeypatch)


@pytest.fixture
def undispatched(monkeypatch: pytest.MonkeyPatch) -> Any:
    """From here on uploads are queued but not sent: no message outlives the test's worker."""

    def stop_sending() -> None:
        monkeypatch.setattr("uploads.dispatch.upload_send_to_worker", lambda **_: True)

    return stop_sending


def latest_upload(provider: Provider) -> Upload:
    return Upload.objects.for_provider(provider).latest("created_at", "id")


@dataclass(frozen=True)
class Stored:
    records: int
    distinct_credit_ids: int


def stored(upload: Upload) -> Stored:
    records = CompletionRecord.objects.filter(upload=upload)
    return Stored(records.count(), records.values("credit_id").distinct().count())


def assert_stored_exactly_once(upload: Upload) -> None:
    """Completed, counts adding up, and every accepted record stored once and only once."""
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert upload.total_records == RECORDS
    assert upload.processed_records + upload.rejected_records == RECORDS
    assert upload.rejected_records == round(RECORDS * ERROR_RATE)
    assert stored(upload) == Stored(upload.processed_records, upload.processed_records)
    provider_records = CompletionRecord.objects.filter(provider=upload.provider)
    assert provider_records.count() == provider_records.values("credit_id").distinct().count()


def progress(upload: Upload) -> tuple[str, int, int]:
    row = Upload.objects.filter(pk=upload.pk).values_list(
        "status", "progress_records", "total_records"
    )
    return row.get()


def sigkill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


@contextmanager
def paused_at_second_chunk(upload: Upload, data: bytes) -> Iterator[int]:
    """PostgreSQL: the run stops inside its second chunk until the block ends.

    An uncommitted row holding the Credit ID of a row of that chunk makes the worker's insert
    wait for this transaction, which is rolled back at the end (nothing of it stays).
    """
    rows = read_learner_file(data, file_type="txt")
    activity = Activity.objects.for_provider(upload.provider).first()
    assert activity is not None
    squatter = CompletionRecord(
        provider=upload.provider,
        activity=activity,
        credit_id=f"{credit_id_prefix(upload)}{rows[700].row_number}",
        completion_date=activity.start_date,
    )
    fields = [
        f for f in CompletionRecord._meta.concrete_fields if not f.primary_key and not f.generated
    ]
    values = [f.get_db_prep_save(f.pre_save(squatter, True), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    with raw_connection() as blocker, blocker.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
            values,
        )
        try:
            yield blocker.info.backend_pid
        finally:
            blocker.rollback()


@contextmanager
def raw_connection() -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own to the test database, beside Django's."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as conn:
        yield conn


def terminate_other_backends(*, sparing: int) -> int:
    """PostgreSQL: cut every connection to the test database but this process's and `sparing`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [sparing],
        )
        return cursor.fetchone()[0]


def _take_write_lock(holder: sqlite3.Connection, *, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            holder.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise


@contextmanager
def sqlite_write_lock() -> Iterator[None]:
    """SQLite: hold the database's write lock, so every other writer waits (then gives up).

    The lock is tried without waiting, again and again: SQLite's own wait sleeps between its
    tries and would only get the lock once a busy worker has finished its whole file.
    """
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, timeout=0)
    try:
        _take_write_lock(holder)
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()
