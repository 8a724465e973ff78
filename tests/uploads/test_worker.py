"""A real Celery worker process, against the broker in settings, processes a real upload."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from learners.models import CompletionRecord
from portal.models import Provider
from tests.conftest import IN_CI
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import UploadStatus

TIMEOUT = 90


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


def require_broker() -> None:
    """Redis must answer; in CI its absence is a failure, locally a reason to skip."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"The Celery broker {url} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def start_worker(media: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "--pool", "solo", "-Q", "celery", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()  # warm shutdown
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=5)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_processes_an_upload_in_a_real_worker(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    media: Path,
    tmp_path: Path,
) -> None:
    require_broker()
    log = tmp_path / "worker.log"
    worker = start_worker(media, log)
    try:
        # The request commits the upload, then dispatches it to the broker for real.
        response = post_upload(staff_client, good_and_bad_file, name="Worker.txt")
        assert response.status_code == 303, response.content.decode()[:500]
        upload = latest_upload(provider)
        deadline = time.monotonic() + TIMEOUT
        while upload.status not in (UploadStatus.COMPLETED, UploadStatus.FAILED):
            assert worker.poll() is None, f"The worker exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"No result in {TIMEOUT}s:\n{_tail(log)}"
            time.sleep(0.2)
            upload.refresh_from_db()
    finally:
        stop_worker(worker)
        connection.close()

    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (2, 1)
    assert CompletionRecord.objects.filter(upload=upload).count() == 2
    assert upload.has_report
    assert "uploads.process_upload" in log.read_text()


def _tail(log: Path) -> Any:
    return log.read_text()[-3000:] if log.exists() else "(no worker log)"
