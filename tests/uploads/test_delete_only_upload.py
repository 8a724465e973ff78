"""A file of Delete rows: its "processed" records are the ones it deleted, and its PDF shows them."""

from __future__ import annotations

import io
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from activities.models import Activity
from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider
from tests.factories import CompletionRecordFactory, LearnerFactory
from tests.uploads.conftest import Physician, PostUpload, cme_row, latest_upload, txt_file
from uploads.models import Upload, UploadStatus
from uploads.pdf import upload_summary_pdf
from uploads.processing import upload_process


def pdf_text(client: Client, upload: Upload) -> str:
    response = client.get(reverse("uploads:summary_pdf", args=[upload.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def upload_and_process(
    client: Client, post_upload: PostUpload, provider: Provider, data: bytes, name: str
) -> Upload:
    response = post_upload(client, data, name=name)
    assert response.status_code == 303, response.content.decode()[:500]
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    return upload


def delete_row(activity: Activity, physician: Physician) -> list[str]:
    return ["Delete", *cme_row(activity, physician)[1:]]


def test_it_shows_the_records_a_delete_only_upload_deleted(
    staff_client: Client,
    post_upload: PostUpload,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    adds = txt_file([cme_row(activity, p) for p in physicians])
    first = upload_and_process(staff_client, post_upload, provider, adds, "adds.txt")
    assert first.processed_records == 3
    deletes = txt_file([delete_row(activity, physicians[1])])

    second = upload_and_process(staff_client, post_upload, provider, deletes, "deletes.txt")

    deleted = CompletionRecord.objects.get(learner=physicians[1].learner.pk)
    assert deleted.status == RecordStatus.DELETED
    assert second.processed_records == 1
    assert list(second.deleted_records.all()) == [deleted]
    text = pdf_text(staff_client, second)
    assert "0 learner records added" in text and "No records were added by this file." in text
    assert "1 learner record deleted" in text
    assert "Jackson" in text and "Pollock" in text and "DELETED" in text
    # The history offers it as processed, and its "View" now shows something true.
    history = staff_client.get(reverse("uploads:history")).content.decode()
    assert reverse("uploads:summary_pdf", args=[second.pk]) in history
    # The first upload's PDF still lists what it added, the deleted one with its status today.
    first_text = pdf_text(staff_client, first)
    assert "Georgia" in first_text and "Claude" in first_text and "DELETED" in first_text
    assert "deleted" not in first_text.split("LEARNER ID")[0]  # no "deleted" section


def test_it_notes_the_deletions_once_when_an_upload_is_processed_again(
    staff_client: Client,
    post_upload: PostUpload,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    upload_and_process(
        staff_client, post_upload, provider, txt_file([cme_row(activity, physicians[0])]), "a.txt"
    )
    deletes = txt_file([delete_row(activity, physicians[0])])
    second = upload_and_process(staff_client, post_upload, provider, deletes, "d.txt")

    # A redelivered task: the record is already deleted, the row is still accepted.
    Upload.objects.filter(pk=second.pk).update(status=UploadStatus.QUEUED)
    upload_process(upload_id=second.pk)

    second.refresh_from_db()
    assert second.status == UploadStatus.COMPLETED and second.processed_records == 1
    assert second.deleted_records.count() == 1


def test_it_notes_no_deletion_for_a_check_only_upload(
    staff_client: Client,
    post_upload: PostUpload,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    upload_and_process(
        staff_client, post_upload, provider, txt_file([cme_row(activity, physicians[0])]), "a.txt"
    )
    data = txt_file([delete_row(activity, physicians[0])])
    response = post_upload(staff_client, data, name="check.txt", mode="check")
    assert response.status_code == 303
    check = latest_upload(provider)
    upload_process(upload_id=check.pk)

    check.refresh_from_db()
    assert check.processed_records == 1  # would be processed
    assert check.deleted_records.count() == 0
    assert CompletionRecord.objects.get().status == RecordStatus.ACCEPTED


def test_it_shows_both_credits_of_a_combined_record_in_the_pdf(
    staff_client: Client, provider: Provider, activity: Activity
) -> None:
    upload = Upload.objects.create(
        provider=provider,
        user=staff_client.user,  # type: ignore[attr-defined]
        original_name="combined.txt",
        size=1,
        sha256="d" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
        total_records=1,
        processed_records=1,
    )
    CompletionRecordFactory(
        activity=activity,
        learner=LearnerFactory(first_name="Ada", last_name="Both"),
        upload=upload,
        ama_credits=Decimal("2.00"),
        board=activity.moc_registrations.get().board,
        diplomate_id="123456",
        moc_points=Decimal("1.50"),
        moc_credits=[{"type": "Medical Knowledge", "points": "1.50"}],
        status=RecordStatus.SUBMITTED,
    )

    text = (
        PdfReader(io.BytesIO(upload_summary_pdf(upload=upload, exported_by="staff@provider.test")))
        .pages[0]
        .extract_text()
    )

    assert "CME 2.00\nABIM 1.50" in text
    assert "AMA PRA Category 1\nMedical Knowledge 1.50" in text
    assert "Showing 1 - 1 of 1 result\n" in text
