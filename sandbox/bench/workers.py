"""Real Celery worker processes, started as `docker-compose.yml` starts its worker service."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)
STOP_GRACE_S = 20


def database_url() -> str:
    """The URL of the database this process uses, for the workers to use the same one."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@contextmanager
def celery_workers(queue: str, *, count: int = 1, concurrency: int = 2) -> Iterator[None]:
    """`count` workers (`--concurrency 2` each, like the compose file) consuming `queue`.

    This process sends its tasks to `queue` meanwhile, so only these workers take them; they
    are asked to stop (SIGTERM, a warm shutdown) on the way out, and killed if they linger.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel", "WARNING",
        "--concurrency", str(concurrency), "--queues", queue, "--without-gossip",
        "--without-mingle",
    ]  # fmt: skip
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    # Their output (banner, warnings) goes to a file, not between the figures.
    log = tempfile.NamedTemporaryFile(prefix=f"{queue}-", suffix=".log", delete=False)  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [*command, "--hostname", f"{queue}-{n}@%h"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        for n in range(count)
    ]
    try:
        _wait_until_ready(count)
        yield
    finally:
        celery_app.conf.task_default_queue = saved
        _stop(processes)
        log.close()


def _wait_until_ready(count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(celery_app.control.ping(timeout=1.0) or []) >= count:
            return
    raise RuntimeError(f"{count} Celery worker(s) did not answer within {timeout:.0f} s.")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
