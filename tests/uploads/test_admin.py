"""Admin: uploads with their events, and the Re-run and Cancel actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.factories import UserFactory
from uploads.models import Upload, UploadEventType, UploadStatus


def changelist() -> str:
    return reverse("admin:uploads_upload_changelist")


@pytest.fixture
def admin_client_(db: None) -> Client:
    user = get_user_model().objects.create_superuser("root@pars.test", "root@pars.test", "pw")
    client = Client()
    client.force_login(user)
    return client


def _upload(provider: Provider, status: str, name: str = "a.txt") -> Upload:
    upload = Upload(
        provider=provider,
        user=UserFactory(),
        original_name=name,
        size=3,
        sha256="c" * 64,
        file_type="txt",
        status=status,
        error_message="The file could not be processed.",
    )
    upload.file.save("a.txt", ContentFile(b"abc"), save=False)
    upload.save()
    return upload


def _act(client: Client, action: str, *uploads: Upload) -> str:
    response = client.post(
        changelist(),
        {"action": action, "_selected_action": [u.pk for u in uploads]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_an_upload_with_its_events(admin_client_: Client, provider: Provider) -> None:
    upload = _upload(provider, UploadStatus.FAILED, name="shown.txt")
    upload.events.create(type=UploadEventType.FAILED, message="It broke.")
    assert "shown.txt" in admin_client_.get(changelist()).content.decode()
    page = admin_client_.get(reverse("admin:uploads_upload_change", args=[upload.pk]))
    assert "It broke." in page.content.decode()


def test_it_reruns_a_failed_upload(
    admin_client_: Client, provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    upload = _upload(provider, UploadStatus.FAILED)
    with django_capture_on_commit_callbacks() as callbacks:
        page = _act(admin_client_, "rerun_uploads", upload)
    assert "queued again" in page
    upload.refresh_from_db()
    assert upload.status == UploadStatus.QUEUED
    assert (upload.attempts, upload.error_message) == (0, "")
    assert len(callbacks) == 1
    event = upload.events.get(type=UploadEventType.RERUN)
    assert event.data == {"by": "root@pars.test"}


def test_it_refuses_to_rerun_while_the_provider_has_an_active_upload(
    admin_client_: Client, provider: Provider
) -> None:
    failed = _upload(provider, UploadStatus.FAILED)
    _upload(provider, UploadStatus.PROCESSING, name="running.txt")
    page = _act(admin_client_, "rerun_uploads", failed)
    assert "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS" in page
    failed.refresh_from_db()
    assert failed.status == UploadStatus.FAILED


@pytest.mark.parametrize("status", [UploadStatus.COMPLETED, UploadStatus.QUEUED])
def test_it_reruns_only_failed_or_cancelled_uploads(
    admin_client_: Client, provider: Provider, status: str
) -> None:
    upload = _upload(provider, status)
    page = _act(admin_client_, "rerun_uploads", upload)
    assert "ONLY A FAILED OR CANCELLED UPLOAD CAN BE RE-RUN" in page
    upload.refresh_from_db()
    assert upload.status == status


def test_it_cannot_rerun_an_upload_whose_file_was_removed(
    admin_client_: Client, provider: Provider
) -> None:
    upload = _upload(provider, UploadStatus.CANCELLED)
    Upload.objects.filter(pk=upload.pk).update(file="")
    page = _act(admin_client_, "rerun_uploads", upload)
    assert "NO LONGER STORED" in page


def test_it_cancels_a_stuck_upload_and_releases_the_lock(
    admin_client_: Client, provider: Provider
) -> None:
    stuck = _upload(provider, UploadStatus.PROCESSING)
    page = _act(admin_client_, "cancel_uploads", stuck)
    assert "cancelled" in page
    stuck.refresh_from_db()
    assert stuck.status == UploadStatus.CANCELLED
    assert not Upload.objects.active().exists()
    assert stuck.events.filter(type=UploadEventType.CANCELLED).exists()


def test_it_cancels_only_queued_or_processing_uploads(
    admin_client_: Client, provider: Provider
) -> None:
    done = _upload(provider, UploadStatus.COMPLETED)
    page = _act(admin_client_, "cancel_uploads", done)
    assert "ONLY A QUEUED OR PROCESSING UPLOAD CAN BE CANCELLED" in page
    done.refresh_from_db()
    assert done.status == UploadStatus.COMPLETED


def test_it_keeps_staff_without_admin_rights_out(staff_client: Client) -> None:
    assert staff_client.get(changelist()).status_code == 302
