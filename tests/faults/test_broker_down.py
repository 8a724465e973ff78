"""The broker is down when a user uploads: the upload is kept, the user is told it waits for a
worker, and once the broker is back the periodic re-dispatch has a real worker process it."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.faults.conftest import (
    assert_stored_exactly_once,
    latest_upload,
    post_file,
    progress,
    stop_now,
)
from tests.worker import celery_worker, use_broker, wait_for
from uploads.models import FINAL_STATUSES, UploadEventType, UploadStatus
from uploads.tasks import recover_stuck_uploads

UNREACHABLE = "redis://127.0.0.1:1/0"
TIMEOUT = 30


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_upload_made_while_the_broker_is_down_and_processes_it_later(
    sandbox_provider: Provider, sandbox_client: Client, big_file: bytes, worker_env: dict[str, str]
) -> None:
    with use_broker(UNREACHABLE):  # nothing listens there
        started = time.monotonic()
        response = post_file(sandbox_client, big_file)
        took = time.monotonic() - started
        upload = latest_upload(sandbox_provider)
        page = sandbox_client.get(reverse("uploads:detail", args=[upload.pk]))

    assert response.status_code == 303, "the user is sent to the processing page, not an error"
    assert took < 3, f"the upload request took {took:.1f}s with the broker down"
    assert upload.status == UploadStatus.QUEUED
    assert upload.events.filter(type=UploadEventType.DISPATCH_FAILED).exists()
    assert page.status_code == 200
    assert "Waiting for a worker" in page.content.decode()

    # The broker is back: the beat sends the recovery task, which a real worker runs; with a
    # zero stall time the upload counts as forgotten and is dispatched again at once.
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    env = {**worker_env, "UPLOAD_STUCK_MINUTES": "0", "WORKER_DEFAULT_QUEUE": queue}
    with celery_worker(queue, extra_env=env) as worker:
        recover_stuck_uploads.delay()
        finished = wait_for(lambda: progress(upload)[0] in FINAL_STATUSES, timeout=TIMEOUT)
        stop_now(worker)
    connection.close()

    assert finished, f"not processed within {TIMEOUT}s of the broker coming back"
    assert_stored_exactly_once(upload)
    assert upload.events.filter(type=UploadEventType.REDISPATCHED).count() == 1
