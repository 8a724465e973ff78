"""The Upload New File page, the templates, the history, and the other file types end to end."""

from __future__ import annotations

import io
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from activities.models import Activity
from learners.engine.rows import REMS_COLUMNS
from learners.formats import read_learner_file
from learners.formats.templates import filled_xlsx
from learners.models import Board, CompletionRecord, LearnerBoardId
from portal.models import Provider
from tests.factories import ActivityFactory
from tests.uploads.conftest import Physician, PostUpload, cme_row, latest_upload
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process

WARNING = (
    "Please do not re-submit files or refresh the page prior to receiving either an upload error "
    "or confirmation of success."
)


def test_it_shows_the_three_steps_on_one_page(staff_client: Client) -> None:
    page = staff_client.get(reverse("uploads:new")).content.decode()
    for legend in [
        "Step 1 of 3: Select file type",
        "Step 2 of 3: Select submission type",
        "Step 3 of 3: Choose file",
    ]:
        assert f'<legend class="steps">{legend}</legend>' in page
    assert "Tab Delimited File .txt" in page
    assert "Comma-Separated Values File .csv" in page
    assert 'accept=".txt,.csv,.xml,.xlsx,' in page
    assert "Extensible Markup Language .xml" in page
    assert "Excel Workbook .xlsx" in page
    assert "Submit Learners for Licensing or Specialty Board" in page
    assert '<label for="id_file">Choose file</label>' in page
    assert 'name="mode" value="check"' in page and "Check file only" in page
    assert WARNING in page
    assert 'enctype="multipart/form-data"' in page
    for args in [("board", "txt"), ("board", "csv"), ("board", "xlsx"), ("board", "xml")]:
        assert reverse("uploads:template", args=args) in page


def test_it_tells_a_provider_with_a_running_upload_to_wait(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> None:
    post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    page = staff_client.get(reverse("uploads:new")).content.decode()
    assert "YOUR FILE (MAY_LEARNERS.TXT) IS QUEUED." in page
    assert "Only one file may be uploaded at a time." in page


def test_it_offers_the_templates_and_a_sample_that_read_back(staff_client: Client) -> None:
    templates = [("board", "txt"), ("board", "csv"), ("board", "xlsx"), ("rems", "txt")]
    for program, ext in [*templates, ("rems", "csv"), ("rems", "xlsx")]:
        response = staff_client.get(reverse("uploads:template", args=[program, ext]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
    csv_template = staff_client.get(reverse("uploads:template", args=["board", "csv"]))
    assert csv_template["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_template.content.decode("utf-8-sig").startswith("Record Action,ACCME Activity ID,")
    sample = staff_client.get(reverse("uploads:template", args=["board", "xml"]))
    assert sample["Content-Type"].startswith("application/xml")
    rows = read_learner_file(sample.content, file_type="xml")
    assert rows and rows[0].first_name == "Jane" and rows[0].activity_id == "210015516"


def test_it_has_no_other_templates(staff_client: Client) -> None:
    for args in [("rems", "xml"), ("other", "txt"), ("board", "pdf")]:
        assert staff_client.get(reverse("uploads:template", args=args)).status_code == 404


def test_it_lists_the_last_30_days_in_the_history(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> None:
    post_upload(staff_client, good_and_bad_file, name="Recent.txt")
    recent = latest_upload(provider)
    upload_process(upload_id=recent.pk)
    old = Upload.objects.create(
        provider=provider,
        user=recent.user,
        original_name="Ancient.txt",
        size=1,
        sha256="f" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
    )
    Upload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    page = staff_client.get(reverse("uploads:history")).content.decode()
    assert "Recent.txt" in page and "Ancient.txt" not in page
    assert "Tab Delimited (.txt)" in page and "Licensing or Specialty Board" in page
    assert recent.user.email in page
    assert '<span class="status">Completed</span>' in page
    assert '<td data-label="Total" class="num">3</td>' in page


def test_it_processes_an_excel_workbook(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    data = filled_xlsx([cme_row(activity, physicians[0]), cme_row(activity, physicians[1])])
    response = post_upload(staff_client, data, name="learners.xlsx", file_type="xlsx")
    assert response.status_code == 303
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.total_records, upload.processed_records) == (2, 2)


def test_it_processes_an_xml_file(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    sample = staff_client.get(reverse("uploads:template", args=["board", "xml"])).content.decode()
    learner = physicians[0].learner
    LearnerBoardId.objects.create(
        learner=learner, board=Board.objects.get(code="ABIM"), diplomate_id="999902"
    )
    data = (
        sample.replace("210015516", activity.activity_id)
        .replace('domain="IL">036999902', f'domain="IL">{physicians[0].license_id}')
        .replace("<n:GivenName>Jane", f"<n:GivenName>{learner.first_name}")
        .replace("<n:FamilyName>ACCME", f"<n:FamilyName>{learner.last_name}")
        .replace("1904-10-30", f"1970-{learner.birth_month:02d}-{learner.birth_day:02d}")
        .replace(
            f"{timezone.localdate().year - 1}-07-06",
            f"{timezone.localdate() - timedelta(days=5):%Y-%m-%d}",
        )
    )
    response = post_upload(staff_client, data.encode(), name="learners.xml", file_type="xml")
    assert response.status_code == 303
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert (upload.total_records, upload.processed_records) == (1, 1)
    record = CompletionRecord.objects.get(upload=upload)
    assert record.learner_id == learner.pk
    assert record.credit_id.startswith("ccid:aaatestorganization.org:sample-")


def test_it_processes_a_rems_file_for_a_rems_provider(
    staff_client: Client, provider: Provider, post_upload: PostUpload
) -> None:
    activity = ActivityFactory(provider=provider, rems_registered=True)
    day = f"{timezone.localdate() - timedelta(days=5):%m/%d/%Y}"
    header = [title for _, title in REMS_COLUMNS]
    row = [
        "Add", activity.activity_id, day, "LOCAL-7", "Physician", "Pain", "Individual", "IL",
        "0-5 years post training", "N",
    ]  # fmt: skip
    data = ("\r\n".join("\t".join(line) for line in [header, row]) + "\r\n").encode()
    response = post_upload(staff_client, data, name="rems.txt", program="rems")
    assert response.status_code == 303
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.program, upload.processed_records, upload.rejected_records) == ("rems", 1, 0)
    record = CompletionRecord.objects.get(upload=upload)
    assert record.rems_learner_local_id == "LOCAL-7"
    pdf = staff_client.get(reverse("uploads:summary_pdf", args=[upload.pk]))
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "LOCAL-7" in text and "Opioid Analgesic REMS" in text
