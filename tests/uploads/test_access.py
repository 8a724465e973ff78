"""Tenancy and methods: another provider's upload is a 404 everywhere; wrong methods are 405."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.factories import UserFactory
from uploads.models import Upload, UploadStatus

UPLOAD_GET_URLS = ["detail", "status", "summary_pdf", "rejected_txt", "rejected_csv"]


@pytest.fixture
def completed(provider: Provider, staff_client: Client) -> Upload:
    """A processed upload of `provider` with its rejected-rows reports stored."""
    upload = Upload(
        provider=provider,
        user=staff_client.user,  # type: ignore[attr-defined]
        original_name="May_Learners.txt",
        size=3,
        sha256="a" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
        total_records=2,
        processed_records=1,
        rejected_records=1,
    )
    upload.file.save("x.txt", ContentFile(b"abc"), save=False)
    upload.report_file.save("r.txt", ContentFile(b"report"), save=False)
    upload.report_csv_file.save("r.csv", ContentFile(b"report"), save=False)
    upload.save()
    return upload


@pytest.mark.parametrize("name", UPLOAD_GET_URLS)
def test_it_serves_the_owner(staff_client: Client, completed: Upload, name: str) -> None:
    assert staff_client.get(reverse(f"uploads:{name}", args=[completed.pk])).status_code == 200


@pytest.mark.parametrize("name", UPLOAD_GET_URLS)
def test_it_hides_an_upload_from_another_provider(
    outsider_client: Client, completed: Upload, name: str
) -> None:
    assert outsider_client.get(reverse(f"uploads:{name}", args=[completed.pk])).status_code == 404


def test_it_hides_a_held_duplicate_from_another_provider(
    outsider_client: Client, completed: Upload
) -> None:
    Upload.objects.filter(pk=completed.pk).update(status=UploadStatus.PENDING)
    url = reverse("uploads:confirm", args=[completed.pk])
    assert outsider_client.post(url, {"decision": "yes"}).status_code == 404
    assert outsider_client.post(url, {"decision": "no"}).status_code == 404
    assert Upload.objects.get(pk=completed.pk).status == UploadStatus.PENDING


def test_it_leaves_another_providers_uploads_out_of_the_history(
    outsider_client: Client, completed: Upload
) -> None:
    page = outsider_client.get(reverse("uploads:history")).content.decode()
    assert "May_Learners.txt" not in page


def test_it_answers_404_for_an_unknown_upload(staff_client: Client) -> None:
    for name in UPLOAD_GET_URLS:
        assert staff_client.get(reverse(f"uploads:{name}", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", [*UPLOAD_GET_URLS, "confirm"])
def test_it_sends_anonymous_visitors_to_log_in(completed: Upload, name: str) -> None:
    response = Client().get(reverse(f"uploads:{name}", args=[completed.pk]))
    assert response.status_code in {302, 405}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))


def test_it_refuses_a_user_without_a_provider(db: None) -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get(reverse("uploads:new")).status_code == 404
    assert client.get(reverse("uploads:history")).status_code == 404


@pytest.mark.parametrize("name", UPLOAD_GET_URLS)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_writes_to_read_only_upload_urls(
    staff_client: Client, completed: Upload, name: str, method: str
) -> None:
    url = reverse(f"uploads:{name}", args=[completed.pk])
    assert getattr(staff_client, method)(url).status_code == 405


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_it_accepts_only_post_for_the_duplicate_answer(
    staff_client: Client, completed: Upload, method: str
) -> None:
    url = reverse("uploads:confirm", args=[completed.pk])
    assert getattr(staff_client, method)(url).status_code == 405


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (("uploads:new", []), "put"),
        (("uploads:new", []), "delete"),
        (("uploads:history", []), "post"),
        (("uploads:template", ["board", "txt"]), "post"),
    ],
)
def test_it_refuses_wrong_methods_on_pages(
    staff_client: Client, url: tuple[str, list[str]], method: str
) -> None:
    name, args = url
    assert getattr(staff_client, method)(reverse(name, args=args)).status_code == 405
