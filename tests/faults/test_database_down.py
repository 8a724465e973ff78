"""The database goes away in the middle of a 2,500-record file: the task retries and completes.

PostgreSQL: the worker's connections are terminated (pg_terminate_backend) while it is inside
the file. SQLite: another connection holds the write lock past the worker's busy timeout.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client

from portal.models import Provider
from tests.faults.conftest import (
    RECORDS,
    HeldDispatch,
    assert_stored_exactly_once,
    latest_upload,
    paused_at_second_chunk,
    post_file,
    progress,
    sqlite_write_lock,
    stop_now,
    stored,
    terminate_other_backends,
)
from tests.worker import celery_worker, wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadEventType, UploadStatus

TIMEOUT = 30
# The outage on SQLite: longer than the worker's busy timeout, so its writes fail, not wait.
LOCK_SECONDS = 2.0
BUSY_TIMEOUT = "0.5"


def _final(upload: Upload) -> bool:
    return progress(upload)[0] in FINAL_STATUSES


def _cut_postgresql(upload: Upload, data: bytes, dispatch: HeldDispatch) -> int:
    with paused_at_second_chunk(upload, data) as blocker_pid:
        dispatch.release()
        assert wait_for(lambda: progress(upload)[1] > 0, timeout=TIMEOUT, interval=0.005)
        assert terminate_other_backends(sparing=blocker_pid) >= 1
        return stored(upload).records


def _lock_sqlite(upload: Upload, dispatch: HeldDispatch) -> int:
    dispatch.release()
    assert wait_for(lambda: progress(upload)[1] > 0, timeout=TIMEOUT, interval=0.002)
    with sqlite_write_lock():
        status, done, total = progress(upload)
        assert status == UploadStatus.PROCESSING and done < total, "locked too late"
        at_outage = stored(upload).records
        time.sleep(LOCK_SECONDS)
    return at_outage


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_retries_and_completes_when_the_database_goes_away_mid_file(
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    worker_env: dict[str, str],
    held_dispatch: HeldDispatch,
) -> None:
    env = {**worker_env, "SQLITE_BUSY_TIMEOUT": BUSY_TIMEOUT}
    with celery_worker(extra_env=env, pool="prefork", concurrency=1) as worker:
        assert post_file(sandbox_client, big_file).status_code == 303
        upload = latest_upload(sandbox_provider)
        if connection.vendor == "postgresql":
            at_outage = _cut_postgresql(upload, big_file, held_dispatch)
        else:
            at_outage = _lock_sqlite(upload, held_dispatch)
        finished = wait_for(lambda: _final(upload), timeout=TIMEOUT)
        stop_now(worker)
    connection.close()

    assert finished, f"not completed within {TIMEOUT}s of the database coming back"
    assert 0 < at_outage < RECORDS
    assert_stored_exactly_once(upload)
    started = upload.events.filter(type=UploadEventType.STARTED)
    assert len(started) >= 2, "the task should have been retried"
    assert upload.attempts == len(started)
