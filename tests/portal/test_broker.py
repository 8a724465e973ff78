"""The embedded broker (portal/broker.py): whole messages under concurrent writers, no growth,
handed-back messages marked redelivered, sends that survive processes starting together; and
which broker a URL selects."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection
from sqlalchemy.exc import OperationalError

from portal.broker import Channel
from portal.brokerconf import EMBEDDED_TRANSPORT, broker_transport, embedded_broker_url
from tests.worker import ROOT, use_broker, wait_for
from uploads.tasks import process_upload

WRITERS = 3
MESSAGES_PER_WRITER = 100
PAYLOAD_BYTES = 40_000

# Each writer process puts its messages as fast as it can; a body carries its own checksum.
WRITER = """
import hashlib, json, os, sys
from kombu import Connection
url, writer, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with Connection(url, transport="portal.broker:Transport") as connection:
    queue = connection.SimpleQueue("whole")
    for n in range(count):
        blob = os.urandom(size // 2).hex()
        queue.put({"id": f"{writer}-{n}", "blob": blob, "sha": hashlib.sha256(blob.encode()).hexdigest()})
    queue.close()
"""

# Each sender process sends one task as the portal does, once every sender is ready.
SENDER = """
import os, pathlib, sys, time
import django
django.setup()
from uploads.tasks import process_upload
barrier, n = pathlib.Path(sys.argv[1]), sys.argv[2]
(barrier / f"ready-{n}").touch()
while not (barrier / "go").exists():
    time.sleep(0.001)
process_upload.apply_async((int(n),), queue="together")
"""
SENDERS = 6


def _connection(url: str) -> Connection:
    return Connection(
        url, transport=EMBEDDED_TRANSPORT, transport_options={"polling_interval": 0.01}
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    return embedded_broker_url(tmp_path)


@pytest.fixture
def connection(url: str) -> Iterator[Connection]:
    with _connection(url) as conn:
        yield conn


def _rows(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return int(db.execute("SELECT count(*) FROM kombu_message").fetchone()[0])


def test_it_delivers_every_message_whole_while_other_processes_write(
    url: str, connection: Connection
) -> None:
    queue = connection.SimpleQueue("whole")
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                url,
                str(n),
                str(MESSAGES_PER_WRITER),
                str(PAYLOAD_BYTES),
            ],
            cwd=ROOT,
        )
        for n in range(WRITERS)
    ]
    received: dict[str, bool] = {}
    deadline = time.monotonic() + 120
    while len(received) < WRITERS * MESSAGES_PER_WRITER and time.monotonic() < deadline:
        message = queue.get(block=True, timeout=30)
        body = message.payload
        received[body["id"]] = hashlib.sha256(body["blob"].encode()).hexdigest() == body["sha"]
        message.ack()
    for writer in writers:
        assert writer.wait(timeout=60) == 0

    assert len(received) == WRITERS * MESSAGES_PER_WRITER
    assert all(received.values()), "a message arrived torn"
    assert _rows(url) == 0


def test_it_deletes_a_message_once_it_is_delivered(url: str, connection: Connection) -> None:
    queue = connection.SimpleQueue("tasks")
    for n in range(5):
        queue.put({"n": n})
    assert _rows(url) == 5

    taken = [queue.get(timeout=5) for _ in range(5)]

    assert [message.payload["n"] for message in taken] == [0, 1, 2, 3, 4]
    assert _rows(url) == 0


def test_it_marks_a_message_handed_back_by_a_stopping_consumer_redelivered(url: str) -> None:
    with _connection(url) as producer:
        producer.SimpleQueue("tasks").put({"task": "long"})
    with _connection(url) as first:
        message = first.SimpleQueue("tasks").get(timeout=5)
        assert not message.delivery_info.get("redelivered")
        # Not acknowledged: closing the channel hands it back, as a stopping worker does.

    with _connection(url) as second:
        again = second.SimpleQueue("tasks").get(timeout=5)
        again.ack()

    assert again.payload == {"task": "long"}
    assert again.delivery_info["redelivered"] is True
    assert again.headers["redelivered"] is True
    assert _rows(url) == 0


def test_a_queue_another_process_creates_at_the_same_moment_is_used_not_an_error(
    url: str, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race, made certain: this process has looked the queue up and found nothing; before
    # its INSERT commits, another process (here a plain sqlite3 connection) creates the queue.
    channel = connection.default_channel
    channel._get_or_create("warm-up")  # the tables exist
    session = channel.session
    add = session.add

    def add_after_the_other_process(obj: object) -> None:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as other:
            other.execute("INSERT INTO kombu_queue (name) VALUES ('fresh')")
        add(obj)

    monkeypatch.setattr(session, "add", add_after_the_other_process)

    queue = channel._get_or_create("fresh")
    monkeypatch.undo()
    channel._put("fresh", {"body": "sent"})

    assert queue.name == "fresh"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT count(*) FROM kombu_queue WHERE name = 'fresh'").fetchone() == (
            1,
        )
    assert _rows(url) == 1


def test_it_puts_the_embedded_broker_in_a_sqlite_file_under_var(tmp_path: Path) -> None:
    url = embedded_broker_url(tmp_path)
    assert url == f"sqlite:///{tmp_path}/broker.sqlite3"
    assert broker_transport(url, visibility_timeout=60) == (
        EMBEDDED_TRANSPORT,
        {"polling_interval": 0.1},
    )


def test_it_keeps_redis_with_its_visibility_timeout() -> None:
    assert broker_transport("redis://redis:6379/0", visibility_timeout=7200) == (
        None,
        {"visibility_timeout": 7200},
    )


@pytest.mark.parametrize("url", ["filesystem://", "sqla+sqlite:///var/broker.sqlite3"])
def test_it_refuses_a_broker_that_can_tear_or_lacks_the_embedded_settings(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="use redis://… or sqlite:///path"):
        broker_transport(url, visibility_timeout=60)


def test_it_refuses_the_filesystem_broker_when_the_settings_load(tmp_path: Path) -> None:
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "VAR_DIR": str(tmp_path),
            "CELERY_BROKER_URL": "filesystem://",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode != 0
    assert "half-written message" in check.stderr


def test_processes_sending_at_once_to_a_new_broker_file_all_get_their_task_sent(
    tmp_path: Path, url: str
) -> None:
    # A worker starting while the web process sends: each process creates the file's tables
    # if it finds them missing, and all of them find them missing at the same moment.
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "CELERY_BROKER_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    senders = [
        subprocess.Popen(
            [sys.executable, "-c", SENDER, str(barrier), str(n)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for n in range(SENDERS)
    ]
    assert wait_for(lambda: len(list(barrier.glob("ready-*"))) == SENDERS, timeout=60)
    (barrier / "go").touch()
    errors = [sender.communicate(timeout=60)[1].decode() for sender in senders]

    assert [sender.returncode for sender in senders] == [0] * SENDERS, "\n".join(errors)
    assert _rows(url) == SENDERS


def test_a_send_whose_queue_declaration_fails_once_is_retried_and_delivered(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kombu retries the declaration on a new connection and closes the channel the send holds;
    # the send must then retry too, not fail on the closed channel.
    failures = [OperationalError("declare", None, Exception("database is locked"))]
    get_or_create = Channel._get_or_create

    def fail_once(self: Channel, queue: str) -> object:
        if failures:
            raise failures.pop()
        return get_or_create(self, queue)

    monkeypatch.setattr(Channel, "_get_or_create", fail_once)
    with use_broker(url):
        process_upload.apply_async((1,), queue="retried")

    assert failures == []
    assert _rows(url) == 1
