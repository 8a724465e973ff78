"""Engine edges found through the upload door: far-future dates, file order, layout, messages."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider
from tests.factories import ActivityFactory
from tests.uploads.conftest import (
    Physician,
    PostUpload,
    cme_row,
    completion_date,
    latest_upload,
    txt_file,
)
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process


def _process(
    client: Client, provider: Provider, post_upload: PostUpload, data: bytes, **options: str
) -> Upload:
    response = post_upload(client, data, **options)
    assert response.status_code == 303, response.content.decode()[:500]
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    return upload


def _unicode_text(data: bytes) -> bytes:
    """The file as Excel saves it as "Unicode Text": UTF-16 with a byte-order mark."""
    return data.decode("utf-8").encode("utf-16")


def _report(upload: Upload) -> str:
    with upload.report_file.open("rb") as report:
        return report.read().decode("utf-8-sig")


def test_it_stores_the_good_rows_of_a_file_with_a_completion_in_9999(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    far = cme_row(activity, physicians[1])
    far[2] = "12/31/9999"
    data = txt_file([cme_row(activity, physicians[0]), far])

    upload = _process(staff_client, provider, post_upload, data)

    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (1, 1)
    assert CompletionRecord.objects.filter(learner=physicians[0].learner).count() == 1
    assert "750" in _report(upload)
    assert staff_client.get(reverse("uploads:detail", args=[upload.pk])).status_code == 200


def test_it_applies_an_add_then_a_delete_of_the_same_record_in_file_order(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    add = cme_row(activity, physicians[0])
    delete = [*add]
    delete[0] = "Delete"
    data = txt_file([add, delete, cme_row(activity, physicians[1])])

    upload = _process(staff_client, provider, post_upload, data)

    assert (upload.processed_records, upload.rejected_records) == (3, 0), _report(upload)
    record = CompletionRecord.objects.get(learner=physicians[0].learner)
    assert record.status == RecordStatus.DELETED
    assert CompletionRecord.objects.live().filter(activity=activity).count() == 1


def test_it_adds_again_after_a_delete_of_a_stored_record_in_the_same_file(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    add = cme_row(activity, physicians[0])
    _process(staff_client, provider, post_upload, txt_file([add]))
    delete = [*add]
    delete[0] = "Delete"

    upload = _process(staff_client, provider, post_upload, txt_file([delete, add], header=False))

    assert (upload.processed_records, upload.rejected_records) == (2, 0), _report(upload)
    statuses = CompletionRecord.objects.filter(learner=physicians[0].learner).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == [RecordStatus.ACCEPTED, RecordStatus.DELETED]


def test_it_refuses_a_headerless_file_whose_rows_are_not_the_layout_at_once(
    staff_client: Client, provider: Provider, post_upload: PostUpload
) -> None:
    response = post_upload(staff_client, b"a\tb\tc\r\n1\t2\t3\r\n")

    assert response.status_code == 400
    assert "THE FILE IS NOT FORMATTED CORRECTLY" in response.content.decode()
    assert not Upload.objects.for_provider(provider).exists()  # nothing queued, no lock held


def test_it_says_what_is_missing_for_a_row_without_credit_or_board(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    no_credit = cme_row(activity, physicians[0], credits="")
    board_id_only = cme_row(activity, physicians[1])
    board_id_only[10] = "999902"  # a Certifying Board ID without the board

    upload = _process(staff_client, provider, post_upload, txt_file([no_credit, board_id_only]))

    report = _report(upload)
    assert "No credit is reported: give CME credits, MOC points, or both" in report
    assert "Certifying Board is missing" in report
    assert "(blank)" not in report


def test_it_names_709_not_717_for_a_second_cme_only_row(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    row = cme_row(activity, physicians[0])

    upload = _process(staff_client, provider, post_upload, txt_file([row, row]))

    report = _report(upload)
    assert "\t709\t" in report and "717" not in report


def test_it_stores_the_good_rows_of_a_file_with_a_nul_in_a_licence_id(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    # PostgreSQL can store no NUL, nor look one up: the row is refused, the file is not. A
    # "Unicode Text" (UTF-16) file holds NUL bytes anyway, so only its characters tell.
    broken = cme_row(activity, physicians[1])
    broken[7] = broken[7] + "\x00"
    data = _unicode_text(txt_file([cme_row(activity, physicians[0]), broken]))

    upload = _process(staff_client, provider, post_upload, data)

    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (1, 1)
    assert "998" in _report(upload)
    assert "Licensing ID or NPI holds a control character (U+0000)" in _report(upload)


def test_it_stores_the_good_rows_of_a_rems_file_with_a_nul_in_a_learner_local_id(
    staff_client: Client, provider: Provider, post_upload: PostUpload
) -> None:
    activity = ActivityFactory(provider=provider, rems_registered=True)
    day = completion_date(activity)
    good = [
        "Add",
        activity.activity_id,
        day,
        "L-1",
        "Nurse",
        "Pain",
        "None",
        "IL",
        "6-10 years",
        "N",
    ]
    broken = [*good]
    broken[3] = "L-2\x00"
    data = _unicode_text(txt_file([good, broken], header=False))

    upload = _process(staff_client, provider, post_upload, data, program="rems")

    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (1, 1)
    assert CompletionRecord.objects.filter(rems_learner_local_id="L-1").count() == 1
    assert "Learner Local ID holds a control character (U+0000)" in _report(upload)
