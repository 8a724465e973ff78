"""The uploader cancels a queued upload: the lock is released at once, and a worker that
receives the task later does nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from learners.models import CompletionRecord
from portal.models import Provider
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import Upload, UploadEventType, UploadStatus
from uploads.processing import upload_process


@pytest.fixture
def queued(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    assert post_upload(staff_client, good_and_bad_file, name="May_Learners.txt").status_code == 303
    return latest_upload(provider)


def cancel(client: Client, upload: Upload) -> Any:
    return client.post(reverse("uploads:cancel", args=[upload.pk]))


def test_it_cancels_a_queued_upload_and_releases_the_lock(
    staff_client: Client,
    queued: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    deliver_emails: Any,
) -> None:
    response = cancel(staff_client, queued)

    assert response.status_code == 303
    assert response["Location"] == reverse("uploads:detail", args=[queued.pk])
    queued.refresh_from_db()
    assert queued.status == UploadStatus.CANCELLED
    event = queued.events.get(type=UploadEventType.CANCELLED)
    assert staff_client.user.email in event.message  # type: ignore[attr-defined]
    page = staff_client.get(response["Location"]).content.decode()
    assert "WAS CANCELLED" in page
    assert "The upload of May_Learners.txt was cancelled." in page
    again = post_upload(staff_client, good_and_bad_file + b"\r\n", name="Again.txt")
    assert again.status_code == 303
    assert deliver_emails() == []


def test_a_worker_that_receives_a_cancelled_upload_does_nothing(
    staff_client: Client, queued: Upload
) -> None:
    cancel(staff_client, queued)

    upload_process(upload_id=queued.pk, task_id="late-delivery")

    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (UploadStatus.CANCELLED, 0)
    assert not CompletionRecord.objects.exists()
    assert not queued.events.filter(type=UploadEventType.STARTED).exists()


def test_it_refuses_to_cancel_an_upload_a_worker_has_started(
    staff_client: Client, queued: Upload
) -> None:
    Upload.objects.filter(pk=queued.pk).update(status=UploadStatus.PROCESSING, attempts=1)

    response = cancel(staff_client, queued)

    assert response.status_code == 409
    text = response.content.decode()
    assert "ONLY AN UPLOAD WAITING IN THE QUEUE CAN BE CANCELLED." in text
    assert "A worker has started it: it will finish on its own." in text
    queued.refresh_from_db()
    assert queued.status == UploadStatus.PROCESSING


def test_it_refuses_to_cancel_a_finished_upload(staff_client: Client, queued: Upload) -> None:
    upload_process(upload_id=queued.pk)
    response = cancel(staff_client, queued)
    assert response.status_code == 409
    queued.refresh_from_db()
    assert queued.status == UploadStatus.COMPLETED


def test_it_hides_another_providers_upload(outsider_client: Client, queued: Upload) -> None:
    assert cancel(outsider_client, queued).status_code == 404
    queued.refresh_from_db()
    assert queued.status == UploadStatus.QUEUED


def test_it_refuses_get(staff_client: Client, queued: Upload) -> None:
    assert staff_client.get(reverse("uploads:cancel", args=[queued.pk])).status_code == 405


def test_it_sends_an_anonymous_visitor_to_log_in(queued: Upload) -> None:
    response = Client().post(reverse("uploads:cancel", args=[queued.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_checks_the_csrf_token(staff_client: Client, queued: Upload) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_client.user)  # type: ignore[attr-defined]
    assert strict.post(reverse("uploads:cancel", args=[queued.pk])).status_code == 403
