"""The whole journey through the browser screens: upload, process, email, history, PDF, fix, re-upload."""

from __future__ import annotations

import io
from typing import Any
from unittest import mock

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from learners.models import CompletionRecord, RecordSource, RecordStatus
from portal.models import Provider
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import UploadEventType, UploadStatus
from uploads.processing import upload_process


def _process_dispatched(callbacks: list[Any]) -> int:
    """Run what the upload request dispatched: check the task it sends, then run the service."""
    assert len(callbacks) == 1
    with mock.patch("uploads.tasks.process_upload.delay") as delay:
        callbacks[0]()
    (upload_id,), _ = delay.call_args
    upload_process(upload_id=upload_id)
    return upload_id


def test_it_walks_from_upload_to_corrected_reupload(
    staff_client: Client,
    provider: Provider,
    good_and_bad_file: bytes,
    post_upload: PostUpload,
    deliver_emails: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    assert response.status_code == 303
    upload = latest_upload(provider)
    assert response["Location"] == reverse("uploads:detail", args=[upload.pk])
    assert upload.status == UploadStatus.QUEUED
    assert upload.total_records == 3

    page = staff_client.get(response["Location"]).content.decode()
    assert "YOUR FILE (MAY_LEARNERS.TXT) IS QUEUED FOR PROCESSING." in page
    assert "UP TO 10 MINUTES" not in page
    assert 'hx-trigger="every 2s"' in page
    assert "Cancel this upload" in page

    assert _process_dispatched(callbacks) == upload.pk
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert (upload.processed_records, upload.rejected_records) == (2, 1)

    records = CompletionRecord.objects.filter(upload=upload).order_by("source_row")
    assert [r.credit_id for r in records] == [f"U{upload.pk}-R2", f"U{upload.pk}-R4"]
    assert {r.source for r in records} == {RecordSource.FILE}
    assert {r.status for r in records} == {RecordStatus.ACCEPTED}

    status = staff_client.get(reverse("uploads:status", args=[upload.pk])).content.decode()
    assert "HAS BEEN PROCESSED" in status
    assert "hx-trigger" not in status
    assert "View submission" in status and "Upload another" in status

    [email] = deliver_emails()
    assert email.to == [staff_client.user.email]  # type: ignore[attr-defined]
    assert email.subject == (
        "Batch upload file report: May_Learners.txt: 3 records, 2 processed, 1 not processed"
    )
    assert "has been processed by PARS" in email.body
    assert "3 learner records were contained in the file" in email.body
    assert "2 learner records were successfully processed" in email.body
    assert "1 learner record was not processed" in email.body
    assert f"/uploads/{upload.pk}/" in email.body

    history = staff_client.get(reverse("uploads:history")).content.decode()
    assert "May_Learners.txt" in history
    assert reverse("uploads:summary_pdf", args=[upload.pk]) in history
    assert reverse("uploads:rejected_txt", args=[upload.pk]) in history

    pdf = staff_client.get(reverse("uploads:summary_pdf", args=[upload.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Submitted Learner Summary Report" in text
    assert "O'Keeffe" in text and "Monet" in text
    assert "Pollock" not in text
    assert "Showing 1 - 2 of 2 results" in text

    download = staff_client.get(reverse("uploads:rejected_txt", args=[upload.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="rejected_learners_')
    report = download.content.decode("utf-8-sig")
    assert "Pollock" in report and "722" in report
    corrected = report.replace("\t1.10\t", "\t1.00\t").encode("utf-8")

    with django_capture_on_commit_callbacks() as callbacks:
        response = post_upload(staff_client, corrected, name="rejected_learners_fixed.txt")
    assert response.status_code == 303
    second = latest_upload(provider)
    _process_dispatched(callbacks)
    second.refresh_from_db()
    assert (second.total_records, second.processed_records, second.rejected_records) == (1, 1, 0)
    assert CompletionRecord.objects.filter(upload=second, learner__last_name="Pollock").exists()
    assert len(deliver_emails()) == 2
    types = list(second.events.values_list("type", flat=True))
    assert types == [
        UploadEventType.CREATED,
        UploadEventType.STARTED,
        UploadEventType.COMPLETED,
        UploadEventType.EMAIL_QUEUED,
    ]
