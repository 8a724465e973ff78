"""A provider's batch upload, end to end: browser, web server, broker and a real worker process."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from learners.engine.rows import BOARD_COLUMNS
from learners.filegen import encode_learner_file, generate_learner_rows
from learners.formats import read_learner_file
from learners.models import CompletionRecord
from portal.models import Provider
from tests.e2e.conftest import DEMO_EMAIL, UploadWorker
from uploads.models import Upload, UploadStatus

pytestmark = pytest.mark.e2e
WORKER_TIMEOUT_MS = 30_000
ROWS, BAD_ROWS = 40, 10


def learner_files(today: date) -> tuple[bytes, list[Any]]:
    """A .txt of ROWS rows, BAD_ROWS of them with a known defect; and the defect-free versions."""
    provider = Provider.objects.get(accme_id="0001234")
    args = {"provider": provider, "rows": ROWS, "seed": 7, "today": today}
    defective = generate_learner_rows(error_rate=BAD_ROWS / ROWS, **args)
    clean = generate_learner_rows(error_rate=0, **args)
    fixed = [good for good, bad in zip(clean, defective, strict=True) if good != bad]
    data = encode_learner_file(
        defective, file_type="txt", program="board", provider=provider, today=today
    )
    return data, fixed


def corrected_report(report: bytes, fixed: list[Any]) -> bytes:
    """The downloaded rejected rows with each row's values corrected; error columns kept as is."""
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"), newline=""), delimiter="\t"))
    header, rows = lines[0], [line for line in lines[1:] if any(line)]
    assert len(rows) == len(fixed)
    width = len(BOARD_COLUMNS)
    corrected = [
        row.values(BOARD_COLUMNS) + line[width:] for row, line in zip(fixed, rows, strict=True)
    ]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows([header, *corrected])
    return out.getvalue().encode("utf-8")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def as_excel_writes(name: str, value: str) -> str:
    """A value as Excel (US) writes it back to a .csv after taking it for a date: 10/30 → 30-Oct,
    07/06/2025 → 7/6/2025. Anything else comes back as it was."""
    parts = value.split("/")
    if not all(part.isdigit() for part in parts):
        return value
    if name == "birth_date" and len(parts) == 2 and 1 <= int(parts[0]) <= 12:
        return f"{int(parts[1])}-{MONTHS[int(parts[0]) - 1]}"
    if name == "completion_date" and len(parts) == 3:
        return f"{int(parts[0])}/{int(parts[1])}/{parts[2]}"
    return value


def excel_saved_csv(report: bytes, fixed: list[Any]) -> bytes:
    """The downloaded rejected-rows .csv after staff corrected each row in Excel and saved it as
    "CSV (Comma delimited)": Windows-1252 without a BOM, CRLF, quotes only where needed, dates as
    Excel writes them; the error columns left as they were."""
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"), newline="")))
    header, rows = lines[0], [line for line in lines[1:] if any(line)]
    assert len(rows) == len(fixed)
    width = len(BOARD_COLUMNS)
    corrected = [
        [
            as_excel_writes(name, value)
            for (name, _), value in zip(BOARD_COLUMNS, row.values(BOARD_COLUMNS), strict=True)
        ]
        + line[width:]
        for row, line in zip(fixed, rows, strict=True)
    ]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *corrected])
    return out.getvalue().encode("cp1252")


def choose_and_upload(
    page: Any,
    name: str,
    data: bytes,
    *,
    button: str = "Upload file",
    file_type: str = "Tab Delimited File .txt",
) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Batch Upload Learners"
    ).click()
    page.get_by_label(file_type).check()
    page.get_by_label("Submit Learners for Licensing or Specialty Board").check()
    mime = "text/csv" if name.endswith(".csv") else "text/plain"
    page.locator("#id_file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.get_by_role("button", name=button, exact=True).click()


def wait_until_done(page: Any) -> None:
    status = page.locator("#upload-status")
    expect(status).to_have_attribute("data-status", "completed", timeout=WORKER_TIMEOUT_MS)


def summary_numbers(page: Any) -> tuple[str, str, str]:
    cells = page.locator("#upload-status table td")
    return cells.nth(0).inner_text(), cells.nth(1).inner_text(), cells.nth(2).inner_text()


def test_it_uploads_a_file_fixes_the_rejected_rows_and_uploads_them_again(
    login: Callable[..., Any], upload_worker: UploadWorker, sandbox: date
) -> None:
    data, fixed = learner_files(sandbox)
    page = login()

    status = page.locator("#upload-status")
    with upload_worker.held():
        choose_and_upload(page, "november_learners.txt", data)

        # Until a worker takes it, the page says the file is queued, and the user may leave.
        expect(page).to_have_url(re.compile(r"/uploads/\d+/$"))
        expect(status).to_contain_text("YOUR FILE (NOVEMBER_LEARNERS.TXT) IS QUEUED FOR PROCESSING")
        expect(status).to_contain_text("In the queue for")
        expect(status).to_contain_text("YOU MAY LEAVE THIS PAGE")
        expect(status.get_by_role("button", name="Cancel this upload")).to_be_visible()

    wait_until_done(page)  # htmx polling follows the worker to the end, without a reload

    expect(status).to_contain_text("HAS BEEN PROCESSED")
    assert summary_numbers(page) == (str(ROWS), str(ROWS - BAD_ROWS), str(BAD_ROWS))
    with page.expect_download() as download:
        page.get_by_role("link", name="Tab-delimited (.txt)").click()
    report = download.value.path().read_bytes()
    assert len(read_learner_file(report, file_type="txt")) == BAD_ROWS
    assert b"Error Codes" in report

    choose_and_upload(page, "november_learners_corrected.txt", corrected_report(report, fixed))

    wait_until_done(page)
    assert summary_numbers(page) == (str(BAD_ROWS), str(BAD_ROWS), "0")
    assert CompletionRecord.objects.filter(provider__accme_id="0001234").count() == ROWS

    page.get_by_role("link", name="View upload history").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("november_learners_corrected.txt")
    expect(rows.nth(1)).to_contain_text("november_learners.txt")
    expect(rows.nth(1)).to_contain_text("Completed")
    expect(rows.nth(1)).to_contain_text(DEMO_EMAIL)
    pdf_link = rows.nth(1).get_by_role("link", name=re.compile(r"^View the 30 processed"))
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def test_it_asks_before_uploading_a_duplicate_file(
    login: Callable[..., Any], upload_worker: UploadWorker, sandbox: date
) -> None:
    data, _ = learner_files(sandbox)
    page = login()
    upload_worker.start()
    choose_and_upload(page, "learners.txt", data)
    wait_until_done(page)

    choose_and_upload(page, "learners.txt", data)

    expect(page.get_by_role("heading", name="Potential duplicate file detected")).to_be_visible()
    expect(page.locator("#duplicate-reason")).to_contain_text("same name and size")
    expect(page.get_by_role("button", name="No, don't upload")).to_be_focused()
    page.get_by_role("button", name="No, don't upload").click()
    expect(page.get_by_role("status").first).to_contain_text("learners.txt was not uploaded")
    assert Upload.objects.count() == 1

    choose_and_upload(page, "renamed_copy.txt", data)
    expect(page.locator("#duplicate-reason")).to_contain_text("same content")
    page.get_by_role("button", name="Yes, upload file").click()
    wait_until_done(page)
    assert summary_numbers(page) == (str(ROWS), "0", str(ROWS))  # all of them already reported

    page.get_by_role("link", name="View upload history").click()
    expect(page.locator("main table tbody tr").first).to_contain_text("(duplicate confirmed)")


def test_it_refuses_a_second_upload_while_one_is_in_progress(
    login: Callable[..., Any], sandbox: date
) -> None:
    Upload.objects.create(
        provider=Provider.objects.get(accme_id="0001234"),
        user=get_user_model().objects.get(username=DEMO_EMAIL),
        original_name="still_running.txt",
        size=100,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.PROCESSING,
        total_records=10,
        progress_records=4,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    page = login()

    choose_and_upload(page, "another.txt", learner_files(sandbox)[0])

    alert = page.locator("#upload-error")
    expect(alert).to_contain_text("YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS")
    expect(alert.get_by_role("link", name="See the progress of still_running.txt")).to_be_visible()
    assert Upload.objects.count() == 1
    alert.get_by_role("link", name="See the progress of still_running.txt").click()
    expect(page.locator("#upload-status")).to_contain_text("4 of 10 records checked")


def test_it_takes_the_rejected_rows_csv_back_after_excel_saved_it(
    login: Callable[..., Any], upload_worker: UploadWorker, sandbox: date
) -> None:
    data, fixed = learner_files(sandbox)
    page = login()
    upload_worker.restart()
    choose_and_upload(page, "november_learners.txt", data)
    wait_until_done(page)
    assert summary_numbers(page) == (str(ROWS), str(ROWS - BAD_ROWS), str(BAD_ROWS))
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV (.csv)").click()
    report = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith(".csv")
    assert report.startswith(b"\xef\xbb\xbf") and b"Error Codes,Error Messages" in report

    # As it is: the same rows come back (still wrong, so all rejected again).
    choose_and_upload(
        page, "rejected_as_downloaded.csv", report, file_type="Comma-Separated Values File .csv"
    )
    wait_until_done(page)
    assert summary_numbers(page) == (str(BAD_ROWS), "0", str(BAD_ROWS))

    saved = excel_saved_csv(report, fixed)
    assert not saved.startswith(b"\xef\xbb\xbf") and b"\r\n" in saved
    choose_and_upload(
        page, "rejected_fixed_in_excel.csv", saved, file_type="Comma-Separated Values File .csv"
    )

    wait_until_done(page)
    assert summary_numbers(page) == (str(BAD_ROWS), str(BAD_ROWS), "0")
    assert CompletionRecord.objects.filter(provider__accme_id="0001234").count() == ROWS
    page.get_by_role("link", name="View upload history").click()
    expect(page.locator("main table tbody tr").first).to_contain_text("Comma-Separated (.csv)")
