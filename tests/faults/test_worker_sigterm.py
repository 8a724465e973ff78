"""SIGTERM to a worker's process group in the middle of a 2,500-record upload.

This is what `make run`'s Ctrl-C and any supervisor's stop send. The worker must be gone within
10 s, having either finished the upload or handed its message back to the broker; the next
worker then finishes it, and every record is stored exactly once. On the broker CI configures
(Redis) and on the embedded one (`make run`'s SQLite file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from portal.brokerconf import embedded_broker_url
from portal.models import Provider
from tests.faults.conftest import (
    HeldDispatch,
    assert_stored_exactly_once,
    latest_upload,
    paused_at_second_chunk,
    post_file,
    progress,
    stop_now,
)
from tests.worker import celery_worker, pool_children, use_broker, wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadEventType, UploadStatus

TIMEOUT = 30
STOP_WITHIN = 10.0


@pytest.fixture(params=["configured", "embedded"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The broker of this run (Redis in CI), or the embedded one in a file of the test's own."""
    if request.param == "configured":
        yield settings.CELERY_BROKER_URL
        return
    url = embedded_broker_url(tmp_path)
    with use_broker(url):
        yield url


def _mid_file(upload: Upload, data: bytes) -> Any:
    """PostgreSQL: the run waits inside its second chunk, so the signal lands mid-file for sure.

    SQLite has no row locks to hold a run with: there the signal follows the first progress
    report, and the run may finish in its grace period or be handed back; both must end well.
    """
    if connection.vendor == "postgresql":
        return paused_at_second_chunk(upload, data)
    return nullcontext()


def _seconds_to_exit(worker: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    with suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=STOP_WITHIN * 2)
    return time.monotonic() - started


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_stops_within_10_s_of_sigterm_mid_upload_and_the_upload_completes_once(
    broker_url: str,
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    worker_env: dict[str, str],
    held_dispatch: HeldDispatch,
) -> None:
    env = {**worker_env, "CELERY_BROKER_URL": broker_url, "REMAP_SIGTERM": "SIGQUIT"}
    queue = f"sigterm-{uuid.uuid4().hex[:8]}"
    with celery_worker(
        queue, extra_env=env, pool="prefork", concurrency=1, new_session=True
    ) as worker:
        assert post_file(sandbox_client, big_file).status_code == 303
        upload = latest_upload(sandbox_provider)
        assert wait_for(lambda: len(pool_children(worker.pid)) == 1, timeout=TIMEOUT)
        with _mid_file(upload, big_file):
            held_dispatch.release()
            assert wait_for(lambda: progress(upload)[1] > 0, timeout=TIMEOUT, interval=0.005)
            os.killpg(worker.pid, signal.SIGTERM)
            took = _seconds_to_exit(worker)
        status_at_exit = progress(upload)[0]

    assert worker.returncode is not None and took < STOP_WITHIN, f"still running after {took:.1f}s"
    assert status_at_exit in (UploadStatus.PROCESSING, UploadStatus.COMPLETED)

    # The next worker takes the handed-back message (if any) and finishes the upload.
    with celery_worker(queue, extra_env=env, pool="prefork", concurrency=1) as worker:
        finished = wait_for(lambda: progress(upload)[0] in FINAL_STATUSES, timeout=TIMEOUT)
        stop_now(worker)
    connection.close()

    assert finished, f"not finished within {TIMEOUT}s of a worker being back"
    assert_stored_exactly_once(upload)
    started = [e.data["attempt"] for e in upload.events.filter(type=UploadEventType.STARTED)]
    assert started == list(range(1, upload.attempts + 1))
    assert upload.attempts == (1 if status_at_exit == UploadStatus.COMPLETED else 2)
