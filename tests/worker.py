"""Start a real Celery worker process against the test database and the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools

from portal.brokerconf import broker_transport
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database the tests are using right now (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def assert_broker_reachable() -> None:
    """Redis must answer when it is the broker: a missing service fails the test, never skips it."""
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        assert client.ping(), f"the Celery broker at {url} does not answer"


def _celery_env(queue: str, extra_env: dict[str, str] | None) -> dict[str, str]:
    """The test database, and the test's queue for every task the process sends (an email, a
    retry, the recovery sweep)."""
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
        "WORKER_DEFAULT_QUEUE": queue,
        **(extra_env or {}),
    }


@contextmanager
def celery_worker(
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
    *,
    pool: str = "solo",
    concurrency: int | None = None,
    extra_args: Sequence[str] = (),
    new_session: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """A `celery worker` child process consuming `queue`, stopped (and reaped) on exit.

    Without a queue it gets one of its own, and tasks this process dispatches go there while it
    runs, so no other worker (another test's, a developer's) can take them. `pool="prefork"`
    runs tasks in pool child processes (see `pool_children`), as production workers do.
    `new_session` puts the worker in a process group of its own, which a test may signal whole.
    """
    assert_broker_reachable()
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    env = _celery_env(queue, extra_env)
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", pool,
        "--queues", queue, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--hostname", f"test-{queue}@%h",
    ]  # fmt: skip
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    command += list(extra_args)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=new_session)
    try:
        yield process
    finally:
        celery_app.conf.task_default_queue = default_queue
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def celery_beat(
    queue: str, schedule: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A `celery beat` child process sending the portal's schedule to `queue`, stopped on exit."""
    env = _celery_env(queue, extra_env)
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "beat",
        "--schedule", str(schedule), "--loglevel", "WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def use_broker(url: str) -> Iterator[None]:
    """This (web) process sends its tasks to the broker at `url` until the block ends."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport, conf.broker_transport_options
    transport, options = broker_transport(url, visibility_timeout=3600)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CELERY_BROKER_URL", url)  # Celery reads it before its configuration
        conf.broker_url, conf.broker_transport, conf.broker_transport_options = (
            url,
            transport,
            options,
        )
        reset_producers()
        try:
            yield
        finally:
            conf.broker_url, conf.broker_transport, conf.broker_transport_options = saved
            reset_producers()


def reset_producers() -> None:
    """Forget pooled broker connections, so the next send connects to the configured broker.

    kombu keeps its pools in a registry shared by the process: closing one pool would leave it
    there, closed, for the next send; `pools.reset()` closes them and empties the registry.
    """
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def pool_children(pid: int) -> list[int]:
    """The process ids of a (prefork) worker's pool children, read from /proc."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended while we looked
    return sorted(set(children))


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.1
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
