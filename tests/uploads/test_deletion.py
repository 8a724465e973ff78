"""Deleting an upload, in the admin or through the ORM, deletes its stored files on commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.factories import UserFactory
from uploads.models import Upload, UploadStatus

pytestmark = pytest.mark.django_db


def stored_upload(provider: Provider, name: str = "learners.txt") -> Upload:
    upload = Upload(
        provider=provider,
        user=UserFactory(),
        original_name=name,
        size=3,
        sha256="e" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
    )
    upload.file.save("u.txt", ContentFile(b"abc"), save=False)
    upload.report_file.save("u-rejected.txt", ContentFile(b"r"), save=False)
    upload.report_csv_file.save("u-rejected.csv", ContentFile(b"r"), save=False)
    upload.save()
    return upload


def names(upload: Upload) -> list[str]:
    return [upload.file.name, upload.report_file.name, upload.report_csv_file.name]


def test_it_deletes_the_files_once_the_deletion_is_committed(
    provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    upload = stored_upload(provider)
    files = names(upload)

    with django_capture_on_commit_callbacks() as callbacks:
        upload.delete()
        assert all(default_storage.exists(name) for name in files), "not before the commit"
    for callback in callbacks:
        callback()

    assert not any(default_storage.exists(name) for name in files)


def test_it_deletes_the_files_of_a_queryset_deletion(
    provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    uploads = [stored_upload(provider, name=f"{n}.txt") for n in range(3)]
    files = [name for upload in uploads for name in names(upload)]

    with django_capture_on_commit_callbacks(execute=True):
        Upload.objects.filter(provider=provider).delete()

    assert not any(default_storage.exists(name) for name in files)


def test_it_keeps_the_files_when_the_deletion_is_rolled_back(
    provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    upload = stored_upload(provider)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Upload.objects.filter(pk=upload.pk).delete()
        raise RuntimeError("changed my mind")

    assert callbacks == []
    assert Upload.objects.filter(pk=upload.pk).exists()
    assert all(default_storage.exists(name) for name in names(upload))


def test_it_tolerates_files_already_gone(
    provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    upload = stored_upload(provider)
    default_storage.delete(upload.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        upload.delete()

    assert not default_storage.exists(upload.report_file.name)


@pytest.fixture
def admin_client_(db: None) -> Client:
    user = get_user_model().objects.create_superuser("root@pars.test", "root@pars.test", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_it_deletes_the_files_of_an_upload_deleted_in_the_admin(
    admin_client_: Client, provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    upload = stored_upload(provider)
    files = names(upload)
    url = reverse("admin:uploads_upload_delete", args=[upload.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_it_deletes_the_files_of_uploads_deleted_by_the_admin_action(
    admin_client_: Client, provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    uploads = [stored_upload(provider, name=f"{n}.txt") for n in range(2)]
    files = [name for upload in uploads for name in names(upload)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("admin:uploads_upload_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [u.pk for u in uploads],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert not Upload.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
