"""POTENTIAL DUPLICATE FILE DETECTED: same name, type and size (or same bytes) within 30 days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Provider
from tests.factories import MembershipFactory
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import Upload, UploadEventType, UploadStatus


def _finish(upload: Upload) -> None:
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETED)


@pytest.fixture
def first(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    """A first upload of May_Learners.txt, processed."""
    assert post_upload(staff_client, good_and_bad_file, name="May_Learners.txt").status_code == 303
    upload = latest_upload(provider)
    _finish(upload)
    return upload


def test_it_asks_before_uploading_the_same_name_and_size_again(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")

    assert response.status_code == 409
    page = response.content.decode()
    assert "Potential duplicate file detected" in page
    assert "ARE YOU SURE YOU WANT TO UPLOAD?" in page
    assert (
        "This file has the same name and size of a previously uploaded file and could be a duplicate."
        in page
    )
    assert "No, don&#x27;t upload" in page or "No, don't upload" in page
    assert "Yes, upload file" in page
    pending = latest_upload(provider)
    assert pending.status == UploadStatus.PENDING
    assert default_storage.exists(pending.file.name)
    assert not callbacks  # nothing dispatched until the user says yes
    assert list(pending.events.values_list("type", flat=True)) == [
        UploadEventType.DUPLICATE_DETECTED
    ]
    # The held file is not in the history and does not hold the lock.
    assert pending not in Upload.objects.visible()
    assert not Upload.objects.for_provider(provider).active().exists()
    # Reloading the page shows the question again.
    again = staff_client.get(reverse("uploads:detail", args=[pending.pk]))
    assert again.status_code == 200
    assert "ARE YOU SURE YOU WANT TO UPLOAD?" in again.content.decode()


def test_it_uploads_the_held_file_when_the_user_says_yes(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    pending = latest_upload(provider)
    confirm = reverse("uploads:confirm", args=[pending.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(confirm, {"decision": "yes"})

    assert response.status_code == 303
    assert response["Location"] == reverse("uploads:detail", args=[pending.pk])
    pending.refresh_from_db()
    assert pending.status == UploadStatus.QUEUED
    assert pending.duplicate_override is True
    assert pending.queued_at is not None
    assert len(callbacks) == 1
    assert UploadEventType.DUPLICATE_CONFIRMED in pending.events.values_list("type", flat=True)

    # A second click changes nothing and dispatches nothing.
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(confirm, {"decision": "yes"})
    assert response.status_code == 303
    assert not callbacks


def test_it_discards_the_held_file_when_the_user_says_no(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    pending = latest_upload(provider)
    stored = pending.file.name

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(
            reverse("uploads:confirm", args=[pending.pk]), {"decision": "no"}, follow=True
        )

    assert response.redirect_chain == [(reverse("uploads:new"), 303)]
    assert "May_Learners.txt was not uploaded." in response.content.decode()
    assert not Upload.objects.filter(pk=pending.pk).exists()
    assert not default_storage.exists(stored)
    assert len(callbacks) == 1  # the file deletion, not a dispatch
    assert default_storage.exists(first.file.name)


def test_it_flags_the_same_content_under_another_name(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    response = post_upload(staff_client, good_and_bad_file, name="June_Learners.txt")
    assert response.status_code == 409
    page = response.content.decode()
    assert "same content as a previously uploaded file" in page
    assert "May_Learners.txt" in page


def test_it_does_not_flag_a_different_file_with_the_same_name(
    staff_client: Client,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    different = good_and_bad_file + b"\r\n"
    assert post_upload(staff_client, different, name="May_Learners.txt").status_code == 303


def test_it_forgets_uploads_older_than_30_days(
    staff_client: Client,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    Upload.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=31))
    response = post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    assert response.status_code == 303


def test_it_does_not_flag_a_file_that_was_only_checked(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    post_upload(staff_client, good_and_bad_file, mode="check")
    _finish(latest_upload(provider))
    assert post_upload(staff_client, good_and_bad_file).status_code == 303
    _finish(latest_upload(provider))
    # And checking a file that was uploaded before is no duplicate either.
    assert post_upload(staff_client, good_and_bad_file, mode="check").status_code == 303


def test_it_does_not_flag_another_providers_file(
    staff_client: Client,
    outsider_client: Client,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    assert post_upload(outsider_client, good_and_bad_file).status_code == 303


def test_it_refuses_yes_while_another_upload_started_meanwhile(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    pending = latest_upload(provider)
    post_upload(staff_client, good_and_bad_file + b"\r\n", name="Other.txt")  # queued now

    response = staff_client.post(reverse("uploads:confirm", args=[pending.pk]), {"decision": "yes"})

    assert response.status_code == 409
    assert "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == UploadStatus.PENDING  # still held: the user may answer again later


def test_it_refuses_an_answer_that_is_neither_yes_nor_no(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    pending = latest_upload(provider)
    response = staff_client.post(
        reverse("uploads:confirm", args=[pending.pk]), {"decision": "maybe"}
    )
    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == UploadStatus.PENDING


def test_it_lets_only_the_uploader_answer(
    staff_client: Client,
    provider: Provider,
    first: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    media: Path,
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    pending = latest_upload(provider)
    colleague = Client()
    colleague.force_login(MembershipFactory(provider=provider).user)

    assert colleague.get(reverse("uploads:detail", args=[pending.pk])).status_code == 404
    response = colleague.post(reverse("uploads:confirm", args=[pending.pk]), {"decision": "yes"})
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == UploadStatus.PENDING
