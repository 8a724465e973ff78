"""The broker is down when a user uploads: the upload is kept, the page says so plainly, and
within a minute of the broker coming back a real worker has processed it.

The broker is a Redis server of the test's own (the shared one can't be stopped), with a real
worker and a real beat connected to it throughout: they lose it, wait for it, and reconnect.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Provider
from tests.conftest import IN_CI
from tests.faults.conftest import assert_stored_exactly_once, latest_upload, post_file, progress
from tests.worker import celery_beat, celery_worker, pool_children, use_broker, wait_for
from uploads.models import FINAL_STATUSES, UploadEventType, UploadStatus

TIMEOUT = 30
# SPEC §7: an upload made while the broker was down is finished within 60 s of it being back.
RECOVERY_DEADLINE = 60
PORTS = range(8740, 8750)


class RedisServer:
    """A Redis server process that can be stopped and started again on the same port."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port, self.directory = port, directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # Without persistence, as a restarted cache often is: what it held is gone.
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        assert wait_for(self._answers(client), timeout=10), "the test's Redis did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @staticmethod
    def _answers(client: redis.Redis) -> object:
        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        return ping


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise AssertionError(f"no free port in {PORTS}")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is required for the broker outage test")
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_processes_within_a_minute_of_the_broker_coming_back_an_upload_made_while_it_was_down(
    sandbox_provider: Provider,
    sandbox_client: Client,
    big_file: bytes,
    another_file: bytes,
    worker_env: dict[str, str],
    own_redis: RedisServer,
    tmp_path: Path,
) -> None:
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    env = {**worker_env, "CELERY_BROKER_URL": own_redis.url}
    with (
        use_broker(own_redis.url),
        celery_worker(queue, extra_env=env, pool="prefork", concurrency=1) as worker,
        celery_beat(queue, tmp_path / "beat-schedule", extra_env=env),
    ):
        assert wait_for(lambda: len(pool_children(worker.pid)) == 1, timeout=TIMEOUT)
        own_redis.stop()

        response = post_file(sandbox_client, big_file)
        upload = latest_upload(sandbox_provider)
        with time_machine.travel(timezone.now() + timedelta(seconds=5)):
            page = sandbox_client.get(reverse("uploads:detail", args=[upload.pk])).content
        time.sleep(5)  # the worker and beat notice the outage, and keep trying

        own_redis.start()
        back_at = time.monotonic()
        taken = wait_for(lambda: progress(upload)[0] != UploadStatus.QUEUED,
                         timeout=RECOVERY_DEADLINE, interval=0.2)  # fmt: skip
        taken_at = time.monotonic()
        finished = wait_for(lambda: progress(upload)[0] in FINAL_STATUSES, timeout=TIMEOUT)
        finished_at = time.monotonic()
        assert worker.poll() is None, "the worker died with the broker"
    connection.close()

    assert response.status_code == 303, "the user is sent to the upload's page, not an error"
    assert "IS SAFELY STORED, BUT CAN'T BE SENT FOR PROCESSING RIGHT NOW" in page.decode()
    assert "UP TO 10 MINUTES" not in page.decode()
    assert upload.events.filter(type=UploadEventType.DISPATCH_FAILED).exists()
    assert taken, f"no worker took it within {RECOVERY_DEADLINE}s of the broker coming back"
    assert finished, f"taken, but not finished within {TIMEOUT}s"
    print(
        f"\nbroker down at upload time: taken {taken_at - back_at:.1f} s and completed "
        f"{finished_at - back_at:.1f} s after the broker came back"
    )
    assert_stored_exactly_once(upload)
    assert upload.events.filter(type=UploadEventType.REDISPATCHED).count() == 1
    assert upload.attempts == 1
    # The lock is released: the provider's next file is taken (and left unsent: no broker now).
    assert post_file(sandbox_client, another_file, name="Another.txt").status_code == 303
