"""The Submitted Learner Summary Report PDF: columns, every row, fast for 2,500 records."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from activities.models import Activity
from learners.models import Board, CompletionRecord, RecordSource, RecordStatus
from portal.models import Provider
from tests.factories import LearnerFactory
from uploads.models import Upload, UploadStatus
from uploads.pdf import upload_summary_pdf


def _upload(provider: Provider, staff_client: Client, **fields: object) -> Upload:
    defaults = {
        "provider": provider,
        "user": staff_client.user,  # type: ignore[attr-defined]
        "original_name": "May_Learners.txt",
        "size": 1,
        "sha256": "e" * 64,
        "file_type": "txt",
        "status": UploadStatus.COMPLETED,
    }
    return Upload.objects.create(**{**defaults, **fields})


def _records(upload: Upload, activity: Activity, count: int) -> None:
    learners = [
        LearnerFactory(first_name=f"Given{i}", last_name=name, birth_month=3, birth_day=30)
        for i, name in enumerate(["O'Keeffe", "Muñoz", "Zoë Brontë", "Van Gogh"])
    ]
    day = date.today() - timedelta(days=3)
    CompletionRecord.objects.bulk_create(
        CompletionRecord(
            provider=upload.provider,
            activity=activity,
            learner=learners[i % len(learners)],
            credit_id=f"U{upload.pk}-R{i + 2}",
            # One live completion per learner and date: each of the four learners gets new days.
            completion_date=day - timedelta(days=i // len(learners)),
            ama_credits=Decimal("1.00"),
            board_id=None,
            status=RecordStatus.ACCEPTED,
            source=RecordSource.FILE,
            upload=upload,
            source_row=i + 2,
        )
        for i in range(count)
    )


def test_it_lists_every_stored_record_with_its_columns(
    staff_client: Client, provider: Provider, activity: Activity
) -> None:
    upload = _upload(provider, staff_client, total_records=4, processed_records=4)
    _records(upload, activity, 4)
    response = staff_client.get(reverse("uploads:summary_pdf", args=[upload.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for header in ["LEARNER ID", "FIRST NAME", "LAST NAME", "DOB", "ACTIVITY TITLE", "STATUS"]:
        assert header in text
    assert "Created by " + staff_client.user.email in text  # type: ignore[attr-defined]
    assert "from PARS Portal" in text
    assert re.search(r"Exported at \w+ \d\d, \d{4} \d\d:\d\d [AP]M [A-Z]{3,4} from", text), text
    assert "Showing 1 - 4 of 4 results" in text
    for name in ["O'Keeffe", "Muñoz", "Zoë Brontë", "Van Gogh"]:
        assert name in text
    assert activity.activity_id in text and "Internal Medicine Update" in text
    assert "03/30" in text and "ACCEPTED" in text and "AMA PRA Category 1" in text


def test_it_builds_2500_rows_with_the_header_on_every_page(
    staff_client: Client, provider: Provider, activity: Activity
) -> None:
    upload = _upload(provider, staff_client, total_records=2500, processed_records=2500)
    _records(upload, activity, 2500)
    pdf = upload_summary_pdf(upload=upload, exported_by="staff@provider.test")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 20
    last = reader.pages[-1].extract_text()
    assert "LEARNER ID" in last  # the header row repeats on every page
    assert "Showing 1 - 2500 of 2500 results" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("status", "mode"),
    [
        (UploadStatus.QUEUED, "submit"),
        (UploadStatus.PROCESSING, "submit"),
        (UploadStatus.FAILED, "submit"),
        (UploadStatus.COMPLETED, "check"),
    ],
)
def test_it_has_no_summary_before_processing_or_for_a_check(
    staff_client: Client, provider: Provider, status: str, mode: str
) -> None:
    upload = _upload(provider, staff_client, status=status, mode=mode)
    assert staff_client.get(reverse("uploads:summary_pdf", args=[upload.pk])).status_code == 404


def test_it_wraps_the_credits_awarded_instead_of_cutting_them(
    staff_client: Client, provider: Provider, activity: Activity
) -> None:
    upload = _upload(provider, staff_client, total_records=1, processed_records=1)
    _records(upload, activity, 1)
    credits = [
        {"type": "Medical Knowledge", "points": "1.50"},
        {"type": "Patient Safety", "points": "0.50"},
        {"type": "Lifelong Learning and Self-Assessment", "points": "2.00"},
    ]
    CompletionRecord.objects.filter(upload=upload).update(
        board=Board.objects.get(code="ABIM"), diplomate_id="123456", moc_points=Decimal("4.00"),
        moc_credits=credits, status=RecordStatus.SUBMITTED,
    )  # fmt: skip

    pdf = upload_summary_pdf(upload=upload, exported_by="staff@provider.test")

    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for shown in ["Medical Knowledge 1.50", "Patient Safety 0.50", "Self-Assessment 2.00"]:
        assert shown in text, text
    assert "Lifelong ..." not in text
