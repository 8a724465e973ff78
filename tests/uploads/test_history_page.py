"""View Upload History: filters, paging, and the rows of running uploads that htmx refreshes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Provider
from tests.factories import UserFactory
from uploads.models import Upload, UploadStatus

HISTORY = reverse("uploads:history")


def make_upload(provider: Provider, user: object, name: str, **fields: object) -> Upload:
    values: dict[str, object] = {
        "size": 10,
        "sha256": "e" * 64,
        "file_type": "txt",
        "status": UploadStatus.COMPLETED,
        "total_records": 3,
        "processed_records": 3,
        **fields,
    }
    return Upload.objects.create(provider=provider, user=user, original_name=name, **values)


def names_on(response: object) -> list[str]:
    page = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r'<a href="/uploads/\d+/">([^<]+)</a>', page)


@pytest.fixture
def uploads(provider: Provider, staff_client: Client) -> dict[str, Upload]:
    user = staff_client.user  # type: ignore[attr-defined]
    return {
        "done": make_upload(provider, user, "november.txt"),
        "rejected": make_upload(
            provider, user, "october.txt", processed_records=1, rejected_records=2
        ),
        "xml": make_upload(provider, user, "september.xml", file_type="xml"),
        "rems": make_upload(provider, user, "rems_november.txt", program="rems"),
        "failed": make_upload(provider, user, "broken.txt", status=UploadStatus.FAILED),
        "running": make_upload(
            provider,
            user,
            "running.txt",
            status=UploadStatus.PROCESSING,
            total_records=10,
            processed_records=0,
            progress_records=4,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"november.txt", "october.txt", "september.xml", "rems_november.txt", "broken.txt", "running.txt"}),
        ({"name": "NOVEMBER"}, {"november.txt", "rems_november.txt"}),
        ({"status": "running"}, {"running.txt"}),
        ({"status": "failed"}, {"broken.txt"}),
        ({"status": "rejected_rows"}, {"october.txt"}),
        ({"file_type": "xml"}, {"september.xml"}),
        ({"program": "rems"}, {"rems_november.txt"}),
        ({"name": "november", "program": "board"}, {"november.txt"}),
        ({"status": "cancelled"}, set()),
    ],
)  # fmt: skip
def test_it_filters_the_history(
    staff_client: Client, uploads: dict[str, Upload], query: dict[str, str], expected: set[str]
) -> None:
    response = staff_client.get(HISTORY, query)

    assert response.status_code == 200
    assert set(names_on(response)) == expected
    if not expected:
        assert "No uploads of the last 30 days match these filters." in response.content.decode()


def test_it_refuses_an_unknown_filter_value_with_a_message(
    staff_client: Client, uploads: dict[str, Upload]
) -> None:
    response = staff_client.get(HISTORY, {"status": "exploded"})

    assert response.status_code == 400
    assert "These filters can't be used" in response.content.decode()
    assert names_on(response) == []


def test_it_pages_the_history_newest_first(provider: Provider, staff_client: Client) -> None:
    user = staff_client.user  # type: ignore[attr-defined]
    for n in range(30):
        upload = make_upload(provider, user, f"file_{n:02d}.txt")
        Upload.objects.filter(pk=upload.pk).update(
            created_at=timezone.now() - timedelta(hours=30 - n)
        )

    first = staff_client.get(HISTORY)
    second = staff_client.get(HISTORY, {"page": "2"})

    assert names_on(first)[:2] == ["file_29.txt", "file_28.txt"]
    assert len(names_on(first)) == 25 and len(names_on(second)) == 5
    assert "Showing 1 - 25 of 30 Uploads" in first.content.decode()
    assert "Showing 26 - 30 of 30 Uploads" in second.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    # The filters stay in the page links.
    filtered = staff_client.get(HISTORY, {"name": "file_"}).content.decode()
    assert 'href="?name=file_&amp;page=2"' in filtered


def test_it_says_one_upload_in_the_singular(provider: Provider, staff_client: Client) -> None:
    make_upload(provider, staff_client.user, "only.txt")  # type: ignore[attr-defined]

    assert "Showing 1 - 1 of 1 Upload<" in staff_client.get(HISTORY).content.decode()


def test_it_polls_only_the_rows_of_running_uploads(
    staff_client: Client, uploads: dict[str, Upload]
) -> None:
    page = staff_client.get(HISTORY).content.decode()

    rows = dict(re.findall(r'<tr id="upload-(\d+)"([^>]*)>', page))
    polling = {pk for pk, attributes in rows.items() if "hx-trigger" in attributes}
    assert polling == {str(uploads["running"].pk)}
    running = rows[str(uploads["running"].pk)]
    assert f'hx-get="/uploads/{uploads["running"].pk}/history-row/"' in running
    assert 'hx-trigger="every 2s"' in running and 'hx-swap="outerHTML"' in running
    assert "4 of 10 checked" in page


def test_it_answers_a_running_row_until_it_is_done(
    staff_client: Client, uploads: dict[str, Upload]
) -> None:
    running = uploads["running"]
    url = reverse("uploads:history_row", args=[running.pk])

    while_running = staff_client.get(url).content.decode()
    Upload.objects.filter(pk=running.pk).update(
        status=UploadStatus.COMPLETED, processed_records=9, rejected_records=1, progress_records=10
    )
    done = staff_client.get(url).content.decode()

    assert while_running.lstrip().startswith(f'<tr id="upload-{running.pk}"')
    assert "hx-trigger" in while_running and "Processing" in while_running
    assert "hx-trigger" not in done and "Completed" in done
    assert '<td data-label="Processed" class="num"><span class="links"><span>9</span>' in done


def test_it_hides_a_history_row_from_another_provider(
    outsider_client: Client, uploads: dict[str, Upload]
) -> None:
    url = reverse("uploads:history_row", args=[uploads["running"].pk])

    assert outsider_client.get(url).status_code == 404


def test_it_has_no_history_row_for_a_file_awaiting_confirmation(
    provider: Provider, staff_client: Client
) -> None:
    pending = make_upload(
        provider,
        staff_client.user,  # type: ignore[attr-defined]
        "maybe.txt",
        status=UploadStatus.PENDING,
    )

    assert staff_client.get(reverse("uploads:history_row", args=[pending.pk])).status_code == 404


def test_it_refuses_writes_to_a_history_row(
    staff_client: Client, uploads: dict[str, Upload]
) -> None:
    url = reverse("uploads:history_row", args=[uploads["done"].pk])

    assert staff_client.post(url).status_code == 405


def test_it_leaves_other_users_uploads_of_the_provider_in_the_history(
    provider: Provider, staff_client: Client
) -> None:
    make_upload(provider, UserFactory(email="colleague@provider.test"), "colleague.txt")

    page = staff_client.get(HISTORY).content.decode()
    assert "colleague.txt" in page and "by colleague@provider.test" in page


def test_it_shows_the_time_zone_of_upload_times(
    staff_client: Client, uploads: dict[str, Upload]
) -> None:
    page = staff_client.get(HISTORY).content.decode()

    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d [AP]M C[SD]T</time>", page)
