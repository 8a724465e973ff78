"""The broker is down when a user uploads: the upload is kept, the user is told it waits for a
worker, and once the broker is back the periodic re-dispatch has a real worker process it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from kombu import pools

from portal.celery import app as celery_app
from portal.models import Provider
from tests.faults.conftest import (
    assert_stored_exactly_once,
    latest_upload,
    post_file,
    progress,
    stop_now,
)
from tests.worker import celery_worker, wait_for
from uploads.models import FINAL_STATUSES, UploadEventType, UploadStatus
from uploads.tasks import recover_stuck_uploads

UNREACHABLE = "redis://127.0.0.1:1/0"
TIMEOUT = 30


def _reset_producers() -> None:
    """Forget pooled broker connections, so the next send connects to the configured URL.

    kombu keeps its pools in a registry shared by the process: closing one pool would leave it
    there, closed, for the next send; `pools.reset()` closes them and empties the registry.
    """
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """This (web) process sends its tasks to a broker address where nothing listens."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    with pytest.MonkeyPatch.context() as patch:
        # Celery reads the variable before its own configuration.
        patch.setenv("CELERY_BROKER_URL", UNREACHABLE)
        conf.broker_url, conf.broker_transport_options = UNREACHABLE, {}
        _reset_producers()
        try:
            yield
        finally:
            conf.broker_url, conf.broker_transport_options = saved
            _reset_producers()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_upload_made_while_the_broker_is_down_and_processes_it_later(
    sandbox_provider: Provider, sandbox_client: Client, big_file: bytes, worker_env: dict[str, str]
) -> None:
    with broker_unreachable():
        response = post_file(sandbox_client, big_file)
        upload = latest_upload(sandbox_provider)
        page = sandbox_client.get(reverse("uploads:detail", args=[upload.pk]))

    assert response.status_code == 303, "the user is sent to the processing page, not an error"
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
