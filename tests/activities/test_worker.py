"""An activity file processed by a real Celery worker process, as production runs it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from activities.files import activity_rows_txt
from activities.models import Activity
from emails.models import Email, EmailStatus
from portal.models import Provider
from tests.activities.makers import good_activity
from tests.worker import celery_worker, wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadStatus

TIMEOUT = 90


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_processes_an_activity_file_in_a_real_worker(
    staff_client: Client, provider: Provider, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    untitled = dataclasses.replace(good_activity(2), title="")
    data = activity_rows_txt([good_activity(1), untitled, good_activity(3)])
    worker_env = {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    with celery_worker(extra_env=worker_env) as worker:
        response = staff_client.post(
            reverse("uploads:new"),
            {"kind": "activities", "file_type": "txt", "mode": "submit",
             "file": SimpleUploadedFile("worker_activities.txt", data)},
        )  # fmt: skip
        assert response.status_code == 303
        upload = Upload.objects.get(provider=provider)

        def final() -> bool:
            upload.refresh_from_db()
            return upload.status in FINAL_STATUSES or worker.poll() is not None

        done = wait_for(final, timeout=TIMEOUT)
        # The completion email is queued with the result and sent by a task of its own.
        emailed = wait_for(
            lambda: Email.objects.filter(status=EmailStatus.SENT).exists(), timeout=TIMEOUT
        )
        assert worker.poll() is None, "the worker exited early"
    connection.close()

    assert done, f"no result within {TIMEOUT}s"
    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (2, 1)
    assert Activity.objects.filter(provider=provider).count() == 2
    assert upload.has_report
    assert emailed, "the completion email was not sent"
    email = Email.objects.get(about=f"upload:{upload.pk}")
    assert "worker_activities.txt" in email.subject
    assert "3 activity records were contained in the file" in email.body
