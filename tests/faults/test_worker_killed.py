"""A worker killed in the middle of a 2,500-record file: the upload still completes, once.

The worker runs the prefork pool with one child, as in production. Killing the child is what
the OOM killer or a crash does: the worker's main process sees it and sends the task again.
Killing the whole worker leaves the upload to the periodic recovery.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.models import Provider
from tests.faults.conftest import (
    RECORDS,
    HeldDispatch,
    assert_stored_exactly_once,
    latest_upload,
    paused_at_second_chunk,
    post_file,
    progress,
    sigkill,
    stop_now,
    stored,
)
from tests.worker import celery_worker, pool_children, wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadEventType, UploadStatus
from uploads.processing import uploads_recover_stuck

TIMEOUT = 30


def _final(upload: Upload) -> bool:
    return progress(upload)[0] in FINAL_STATUSES


def _paused(upload: Upload, data: bytes) -> Any:
    """On PostgreSQL the run waits inside its second chunk: the kill lands mid-file for sure.

    SQLite has no row locks to hold a run with; there the kill follows the first progress
    report within milliseconds, while four more chunks are still to be stored.
    """
    if connection.vendor == "postgresql":
        return paused_at_second_chunk(upload, data)
    return nullcontext()


def _kill_mid_file(
    upload: Upload, data: bytes, dispatch: HeldDispatch, pids: Any
) -> tuple[int, int]:
    """Send the upload, wait for its first progress report and SIGKILL `pids()`.

    Returns the progress and the records stored at the kill.
    """
    with _paused(upload, data):
        dispatch.release()
        assert wait_for(lambda: progress(upload)[1] > 0, timeout=TIMEOUT, interval=0.005)
        for pid in pids():
            sigkill(pid)
        status, done, total = progress(upload)
        at_kill = stored(upload).records
    assert status == UploadStatus.PROCESSING
    assert 0 < done < total == RECORDS, "the kill came too late to be mid-file"
    return done, at_kill


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_redelivers_and_completes_an_upload_whose_worker_child_was_killed(
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    worker_env: dict[str, str],
    held_dispatch: HeldDispatch,
) -> None:
    with celery_worker(extra_env=worker_env, pool="prefork", concurrency=1) as worker:
        assert post_file(sandbox_client, big_file).status_code == 303
        upload = latest_upload(sandbox_provider)
        assert wait_for(lambda: len(pool_children(worker.pid)) == 1, timeout=TIMEOUT)
        _, at_kill = _kill_mid_file(
            upload, big_file, held_dispatch, lambda: pool_children(worker.pid)
        )
        finished = wait_for(lambda: _final(upload), timeout=TIMEOUT)
        assert worker.poll() is None, "the worker's main process should have survived"
        stop_now(worker)
    connection.close()

    assert finished, f"not redelivered and finished within {TIMEOUT}s"
    assert 0 < at_kill < RECORDS
    assert_stored_exactly_once(upload)
    started = upload.events.filter(type=UploadEventType.STARTED)
    assert [e.data["attempt"] for e in started] == [1, 2]
    assert upload.attempts == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_recovers_an_upload_whose_whole_worker_was_killed(
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    another_file: bytes,
    worker_env: dict[str, str],
    held_dispatch: HeldDispatch,
    undispatched: Any,
) -> None:
    with celery_worker(extra_env=worker_env, pool="prefork", concurrency=1) as worker:
        assert post_file(sandbox_client, big_file).status_code == 303
        upload = latest_upload(sandbox_provider)
        assert wait_for(lambda: len(pool_children(worker.pid)) == 1, timeout=TIMEOUT)
        # Main process and child at once, as when the machine or its container goes.
        _kill_mid_file(
            upload, big_file, held_dispatch, lambda: [worker.pid, *pool_children(worker.pid)]
        )
        worker.wait(timeout=10)

    # Nobody will finish it: the upload holds the provider's lock until recovery sees the stall.
    assert post_file(sandbox_client, another_file, name="Another.txt").status_code == 409
    with celery_worker(extra_env=worker_env, pool="prefork", concurrency=1) as worker:
        later = timezone.now() + timedelta(minutes=16)
        assert uploads_recover_stuck(now=later).requeued == 1
        finished = wait_for(lambda: _final(upload), timeout=TIMEOUT)
        stop_now(worker)
    connection.close()

    assert finished, f"not recovered and finished within {TIMEOUT}s"
    assert_stored_exactly_once(upload)
    assert upload.events.filter(type=UploadEventType.REQUEUED).count() == 1
    assert upload.attempts == 2
    undispatched()
    assert post_file(sandbox_client, another_file, name="Another.txt").status_code == 303


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_releases_the_lock_of_an_upload_whose_worker_never_came_back(
    settings: Any,
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    another_file: bytes,
    worker_env: dict[str, str],
    held_dispatch: HeldDispatch,
    undispatched: Any,
    mailoutbox: list[Any],
) -> None:
    with celery_worker(extra_env=worker_env, pool="prefork", concurrency=1) as worker:
        assert post_file(sandbox_client, big_file).status_code == 303
        upload = latest_upload(sandbox_provider)
        assert wait_for(lambda: len(pool_children(worker.pid)) == 1, timeout=TIMEOUT)
        _kill_mid_file(
            upload, big_file, held_dispatch, lambda: [worker.pid, *pool_children(worker.pid)]
        )
        worker.wait(timeout=10)
    connection.close()
    assert post_file(sandbox_client, another_file, name="Another.txt").status_code == 409

    # Its last attempt is gone: recovery gives up on it instead of re-queueing it.
    settings.UPLOAD_MAX_ATTEMPTS = 1
    assert uploads_recover_stuck(now=timezone.now() + timedelta(minutes=16)).failed == 1

    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert "could not be processed after 1 attempts" in upload.error_message
    assert [m.to for m in mailoutbox] == [[upload.user.email]]
    undispatched()
    assert post_file(sandbox_client, another_file, name="Another.txt").status_code == 303
    assert latest_upload(sandbox_provider).status == UploadStatus.QUEUED
