"""A real Celery worker process, against the broker in settings, processes a real upload.

The worker (tests/worker.py) uses the test database and the configured broker: Redis in CI,
where an unreachable Redis fails this test; the filesystem broker on a laptop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from emails.models import Email, EmailStatus
from learners.models import CompletionRecord
from portal.models import Provider
from tests.uploads.conftest import PostUpload, latest_upload
from tests.worker import celery_worker, wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadStatus

TIMEOUT = 90


def _final(upload: Upload) -> bool:
    upload.refresh_from_db()
    return upload.status in FINAL_STATUSES


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_processes_an_upload_in_a_real_worker(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    media: Path,
    mailoutbox: list[object],
) -> None:
    worker_env = {
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    with celery_worker(extra_env=worker_env) as worker:
        # The request commits the upload, then dispatches it through the broker for real.
        response = post_upload(staff_client, good_and_bad_file, name="Worker.txt")
        assert response.status_code == 303
        upload = latest_upload(provider)
        done = wait_for(lambda: _final(upload) or worker.poll() is not None, timeout=TIMEOUT)
        # The completion email is queued with the result and sent by a task of its own.
        emailed = wait_for(
            lambda: Email.objects.filter(status=EmailStatus.SENT).exists(), timeout=TIMEOUT
        )
        assert worker.poll() is None, "the worker exited early"
    connection.close()

    assert done, f"no result within {TIMEOUT}s"
    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (2, 1)
    assert CompletionRecord.objects.filter(upload=upload).count() == 2
    assert upload.has_report
    assert emailed, "the completion email was not sent"
    email = Email.objects.get(about=f"upload:{upload.pk}")
    assert (email.to, email.attempts) == (upload.user.email, 1)
    assert "Worker.txt" in email.subject
    assert not mailoutbox  # sent by the worker, not this process
