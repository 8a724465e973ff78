"""Admin: an upload's file and reports download through the admin (never /media/), its page links
to the records it stored and deleted, and lists its rejected rows with their codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from learners.models import CompletionRecord
from portal.models import Provider
from tests.uploads.conftest import Physician, PostUpload, cme_row, latest_upload, txt_file
from uploads.models import Upload
from uploads.processing import upload_process
from uploads.recovery import upload_files_remove_expired
from uploads.rejected import rejected_rows_read


@pytest.fixture
def superuser_client(db: None) -> Client:
    user = get_user_model().objects.create_superuser("root@pars.test", "root@pars.test", "pw")
    client = Client()
    client.force_login(user)
    return client


def staff_member(*permissions: str) -> Client:
    user = get_user_model().objects.create_user(
        "helpdesk@pars.test", "helpdesk@pars.test", "pw", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def processed(
    staff_client: Client,
    post_upload: PostUpload,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
) -> Upload:
    """A processed upload: two rows stored, one rejected (722) and one rejected (690)."""
    rows = [
        cme_row(activity, physicians[0]),
        cme_row(activity, physicians[1], credits="1.10"),
        cme_row(activity, physicians[2]),
        ["Add", "199999999", *cme_row(activity, physicians[2])[2:]],
    ]
    assert post_upload(staff_client, txt_file(rows), name="May_Learners.txt").status_code == 303
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.processed_records, upload.rejected_records) == (2, 2)
    return upload


def change_page(client: Client, upload: Upload) -> str:
    response = client.get(reverse("admin:uploads_upload_change", args=[upload.pk]))
    assert response.status_code == 200
    return response.content.decode()


def download(upload: Upload, kind: str) -> str:
    return reverse("admin:uploads_upload_download", args=[upload.pk, kind])


def test_it_links_the_files_to_admin_downloads_not_to_media(
    superuser_client: Client, processed: Upload
) -> None:
    page = change_page(superuser_client, processed)

    assert "/media/" not in page
    for kind in ("file", "report_txt", "report_csv"):
        assert f'href="{download(processed, kind)}"' in page


def test_it_downloads_the_uploaded_file_under_its_own_name(
    superuser_client: Client, processed: Upload
) -> None:
    response = superuser_client.get(download(processed, "file"))

    assert response.status_code == 200
    assert 'filename="May_Learners.txt"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"Record Action")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "separator"), [("report_txt", b"\t"), ("report_csv", b",")])
def test_it_downloads_the_rejected_rows_reports(
    superuser_client: Client, processed: Upload, kind: str, separator: bytes
) -> None:
    response = superuser_client.get(download(processed, kind))

    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert b"Error Codes" in content and separator + b"722" in content


def test_it_lets_staff_who_may_view_uploads_download(processed: Upload) -> None:
    client = staff_member("view_upload")

    assert client.get(download(processed, "file")).status_code == 200


def test_it_refuses_staff_who_may_not_view_uploads(processed: Upload) -> None:
    client = staff_member("view_completionrecord")

    assert client.get(download(processed, "file")).status_code == 403


def test_it_sends_provider_staff_to_the_admin_login(
    staff_client: Client, processed: Upload
) -> None:
    response = staff_client.get(download(processed, "file"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_answers_404_for_an_unknown_file_or_upload(
    superuser_client: Client, processed: Upload
) -> None:
    assert superuser_client.get(download(processed, "settings")).status_code == 404
    missing = reverse("admin:uploads_upload_download", args=[999999, "file"])
    assert superuser_client.get(missing).status_code == 404


def test_it_answers_404_once_the_files_are_removed(
    superuser_client: Client, processed: Upload
) -> None:
    Upload.objects.filter(pk=processed.pk).update(created_at=timezone.now().replace(year=2000))
    assert upload_files_remove_expired() == 1

    for kind in ("file", "report_txt", "report_csv"):
        assert superuser_client.get(download(processed, kind)).status_code == 404
    assert "Removed on " in change_page(superuser_client, processed)


def test_it_answers_404_when_storage_lost_the_file(
    superuser_client: Client, processed: Upload, media: Path
) -> None:
    Path(media, processed.file.name).unlink()

    assert superuser_client.get(download(processed, "file")).status_code == 404


def test_it_refuses_to_post_to_a_download(superuser_client: Client, processed: Upload) -> None:
    assert superuser_client.post(download(processed, "file")).status_code == 405


def test_it_links_the_records_an_upload_stored(
    superuser_client: Client, processed: Upload, activity: Activity
) -> None:
    other = CompletionRecord.objects.create(
        provider=processed.provider,
        activity=activity,
        credit_id="not-from-this-upload",
        completion_date=activity.start_date,
        status="accepted",
        source="manual",
    )
    page = change_page(superuser_client, processed)
    link = re.search(r'href="([^"]+)">2 records stored by this upload</a>', page)
    assert link is not None

    listing = superuser_client.get(link.group(1).replace("&amp;", "&"))

    assert listing.status_code == 200
    content = listing.content.decode()
    assert f"U{processed.pk}-R2" in content and f"U{processed.pk}-R4" in content
    assert other.credit_id not in content


def test_it_links_the_records_an_upload_deleted(
    superuser_client: Client,
    staff_client: Client,
    post_upload: PostUpload,
    processed: Upload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    deletes = txt_file([["Delete", *cme_row(activity, physicians[0])[1:]]])
    assert post_upload(staff_client, deletes, name="deletes.txt").status_code == 303
    deleting = latest_upload(processed.provider)
    upload_process(upload_id=deleting.pk)
    page = change_page(superuser_client, deleting)
    link = re.search(r'href="([^"]+)">1 record deleted by this upload</a>', page)
    assert link is not None

    listing = superuser_client.get(link.group(1)).content.decode()

    assert f"U{processed.pk}-R2" in listing and f"U{processed.pk}-R4" not in listing


def test_it_lists_the_rejected_rows_with_their_codes(
    superuser_client: Client, processed: Upload
) -> None:
    page = change_page(superuser_client, processed)

    rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", page, re.S)
    assert [number for number, _ in rows] == ["1", "2"]
    assert "Jackson Pollock" in rows[0][1] and "<td>722</td>" in rows[0][1]
    assert "0.25" in rows[0][1]  # the message says what is wrong
    assert "199999999" in rows[1][1] and "<td>690</td>" in rows[1][1]


def test_it_reads_a_report_with_several_codes_per_row() -> None:
    report = (
        "\ufeffRecord Action\tFirst Name\tError Codes\tError Messages\r\n"
        "Add\tZoë\t622; 719\tLast Name is missing. | Date of Birth '13/45' is not valid.\r\n"
        "\r\n"
    ).encode()

    [row] = rejected_rows_read(report)

    assert row.number == 1 and row.cell("First Name") == "Zoë"
    assert row.codes == ["622", "719"]
    assert row.messages == ["Last Name is missing.", "Date of Birth '13/45' is not valid."]
    assert rejected_rows_read(b"") == []


def test_it_shows_an_upload_without_rejected_rows(
    superuser_client: Client,
    staff_client: Client,
    post_upload: PostUpload,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    assert (
        post_upload(staff_client, txt_file([cme_row(activity, physicians[0])])).status_code == 303
    )
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)

    page = change_page(superuser_client, upload)

    assert "1 record stored by this upload" in page
    assert download(upload, "report_txt") not in page
