"""Heavy files are read by the worker, not in the request: a workbook (a 500 KB .xlsx can unzip
to 200 MB of shared strings, which openpyxl holds in memory), or a text file over the inline cap.

The request checks what is cheap and refuses it at once; what only reading tells is still told:
the upload fails with PARS's words and the reason, on its page and by email, and releases the
provider's lock.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.formats.templates import filled_xlsx, xlsx_template
from learners.formats.xlsx import MAX_UNZIPPED_BYTES
from learners.models import CompletionRecord
from portal.models import Provider
from tests.corpus.makers import shared_strings_xlsx
from tests.uploads.conftest import Physician, PostUpload, cme_row, latest_upload, txt_file
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process

NOT_FORMATTED = (
    "THE FILE IS NOT FORMATTED CORRECTLY. PLEASE USE THE FORMAT PROVIDED IN THIS TEMPLATE."
)
# What one upload request may cost, traced by Python's allocator (the file itself included).
REQUEST_MEMORY_CEILING = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def strings_bomb() -> bytes:
    """About 500 KB; 204 MB once unzipped; over a gigabyte of memory to read with openpyxl."""
    return shared_strings_xlsx(12_000_000)


def traced_peak(call: Callable[[], Any]) -> tuple[Any, int]:
    """`call()`'s result and the peak of memory it allocated, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - before


def failed_with(upload: Upload, *words: str) -> str:
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    for text in words:
        assert text in upload.error_message
    return upload.error_message


def test_it_reads_a_workbook_in_the_worker_only(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    data = filled_xlsx([cme_row(activity, physicians[0]), cme_row(activity, physicians[1])])
    with mock.patch("learners.formats.xlsx.load_workbook", side_effect=AssertionError("read")):
        response = post_upload(staff_client, data, name="learners.xlsx", file_type="xlsx")

    assert response.status_code == 303
    upload = latest_upload(provider)
    # Estimated from the worksheet's used range, whose guidance and heading rows count too.
    assert upload.total_records == 3
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.status, upload.total_records, upload.processed_records) == (
        UploadStatus.COMPLETED,
        2,
        2,
    )


def test_it_refuses_at_once_a_workbook_that_unzips_past_the_cap(
    staff_client: Client, post_upload: PostUpload, media: Path, strings_bomb: bytes
) -> None:
    response, peak = traced_peak(
        lambda: post_upload(staff_client, strings_bomb, name="bomb.xlsx", file_type="xlsx")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert NOT_FORMATTED in page
    assert "too large once unzipped" in page
    assert peak < REQUEST_MEMORY_CEILING, f"the request allocated {peak / 2**20:.0f} MiB"
    assert not Upload.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_a_workbook_just_under_the_cap_costs_the_request_little(
    staff_client: Client, provider: Provider, post_upload: PostUpload
) -> None:
    data = shared_strings_xlsx(1_100_000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(i.file_size for i in archive.infolist()) < MAX_UNZIPPED_BYTES

    response, peak = traced_peak(
        lambda: post_upload(staff_client, data, name="big.xlsx", file_type="xlsx")
    )

    assert response.status_code == 303
    assert peak < REQUEST_MEMORY_CEILING, f"the request allocated {peak / 2**20:.0f} MiB"
    assert latest_upload(provider).status == UploadStatus.QUEUED


def test_it_refuses_at_once_a_workbook_without_a_worksheet(
    staff_client: Client, post_upload: PostUpload
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    response = post_upload(staff_client, buffer.getvalue(), name="w.xlsx", file_type="xlsx")
    assert response.status_code == 400
    assert "not a readable Excel workbook" in response.content.decode()


def test_it_fails_an_empty_workbook_with_pars_words_on_its_page_and_by_email(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    deliver_emails: Any,
) -> None:
    response = post_upload(staff_client, xlsx_template("board"), name="t.xlsx", file_type="xlsx")
    assert response.status_code == 303
    upload = latest_upload(provider)

    message = failed_with(upload, "contains no learner records")

    assert message.startswith(NOT_FORMATTED)
    page = staff_client.get(reverse("uploads:detail", args=[upload.pk])).content.decode()
    assert "YOUR FILE (T.XLSX) COULD NOT BE PROCESSED." in page
    assert NOT_FORMATTED in page
    [email] = deliver_emails()
    assert email.subject == "Batch upload file could not be processed: t.xlsx"
    assert NOT_FORMATTED in email.body and "contains no learner records" in email.body
    assert not CompletionRecord.objects.exists()
    assert not upload.report_file
    # The provider's lock is released.
    assert post_upload(staff_client, good_and_bad_file, name="next.txt").status_code == 303


def test_it_fails_a_workbook_of_more_than_2500_records(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    data = filled_xlsx([cme_row(activity, physicians[0])] * 2501)
    assert post_upload(staff_client, data, name="big.xlsx", file_type="xlsx").status_code == 303

    failed_with(
        latest_upload(provider),
        "THE FILE HAS MORE THAN 2,500 RECORDS. BATCH UPLOADS MAY NOT EXCEED 2,500 RECORDS.",
    )
    assert not CompletionRecord.objects.exists()


def test_it_reads_a_text_file_over_the_inline_cap_in_the_worker(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    settings: Any,
) -> None:
    settings.UPLOAD_INLINE_READ_BYTES = 100
    words = b"just some words without a single tab, " * 10
    assert post_upload(staff_client, words, name="words.txt").status_code == 303
    failed_with(latest_upload(provider), NOT_FORMATTED, "not tab-delimited")

    assert post_upload(staff_client, good_and_bad_file, name="good.txt").status_code == 303
    upload = latest_upload(provider)
    assert upload.total_records == 0, "counted by the worker"
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.total_records, upload.processed_records, upload.rejected_records) == (3, 2, 1)


def test_it_reads_a_csv_file_over_the_inline_cap_in_the_worker(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    settings: Any,
) -> None:
    settings.UPLOAD_INLINE_READ_BYTES = 100
    semicolons = good_and_bad_file.replace(b"\t", b";")
    assert post_upload(staff_client, semicolons, name="eu.csv", file_type="csv").status_code == 303
    failed_with(latest_upload(provider), NOT_FORMATTED, "separated by semicolons")

    commas = good_and_bad_file.replace(b"\t", b",")
    assert post_upload(staff_client, commas, name="good.csv", file_type="csv").status_code == 303
    upload = latest_upload(provider)
    assert upload.total_records == 0, "counted by the worker"
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.total_records, upload.processed_records, upload.rejected_records) == (3, 2, 1)
    assert upload.get_file_type_display() == "Comma-Separated (.csv)"


def test_it_still_refuses_a_small_text_file_at_once(
    staff_client: Client, post_upload: PostUpload, activity: Activity, physicians: list[Physician]
) -> None:
    data = txt_file([cme_row(activity, physicians[0])] * 2501)
    assert len(data) > 100_000
    response = post_upload(staff_client, data, name="big.txt")
    assert response.status_code == 400
    assert "BATCH UPLOADS MAY NOT EXCEED 2,500 RECORDS." in response.content.decode()
