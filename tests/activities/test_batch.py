"""Activity files through the upload pipeline: intake, processing, report, upload again.

200 activities in XML and in .xlsx, 10% of them defective: the good ones are stored (or update
the activity with their Provider Activity ID), the bad ones land in a rejected-rows report with
their Appendix A codes, and the report, corrected, uploads again. PARS's Template D uploads too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from activities.files import (
    activity_rows_txt,
    activity_template_xlsx,
    read_activity_file,
)
from activities.inputs import ActivityInput
from activities.models import Activity, ActivityStatus
from activities.xml_writer import activities_xml
from portal.models import Provider
from tests.activities.makers import defective, fixed, good_activity
from tests.factories import MembershipFactory
from uploads.models import Mode, Upload, UploadKind, UploadStatus
from uploads.processing import upload_process
from uploads.refusals import Refusal, UploadRefused
from uploads.services import IncomingFile, upload_create

pytestmark = pytest.mark.django_db
Add = Callable[..., Activity]
ROWS = 200
EXISTING = 40  # rows whose Provider Activity ID is already registered: they update it


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.MEDIA_ROOT


@pytest.fixture
def user(provider: Provider) -> Any:
    return MembershipFactory(provider=provider).user


def batch(add_activity: Add) -> tuple[list[ActivityInput], dict[str, str]]:
    """200 activities, the first 40 already registered (sent with a new title), every tenth
    one defective; returns them and the code each defective row must get."""
    for n in range(1, EXISTING + 1):
        add_activity(n, title=f"Old title {n}")
    items, expected = [], {}
    for n in range(1, ROWS + 1):
        item = dataclasses.replace(good_activity(n), title=f"Cardiology Update {n} (v2)")
        if n % 10 == 0:
            item, code = defective(n // 10, item)
            expected[item.provider_activity_id] = code
        items.append(item)
    return items, expected


def upload(provider: Provider, user: Any, data: bytes, *, name: str, file_type: str,
           mode: str = Mode.SUBMIT) -> Upload:  # fmt: skip
    incoming = IncomingFile.from_bytes(name, data)
    intake = upload_create(
        provider=provider, user=user, kind=UploadKind.ACTIVITIES, file_type=file_type,
        program="board", mode=mode, incoming=incoming,
    )  # fmt: skip
    assert intake.duplicate_of is None
    upload_process(upload_id=intake.upload.pk)
    intake.upload.refresh_from_db()
    return intake.upload


def refusal(
    provider: Provider, user: Any, data: bytes, *, name: str, file_type: str
) -> UploadRefused:
    """The refusal an activity file gets at once, before anything is stored."""
    incoming = IncomingFile.from_bytes(name, data)
    with pytest.raises(UploadRefused) as refused:
        upload_create(
            provider=provider, user=user, kind=UploadKind.ACTIVITIES, file_type=file_type,
            program="board", mode=Mode.SUBMIT, incoming=incoming,
        )  # fmt: skip
    assert not Upload.objects.filter(provider=provider).exists()
    return refused.value


def report_codes(upload: Upload) -> dict[str, str]:
    found = read_activity_file(upload.report_file.read(), file_type="txt")
    lines = upload.report_file.open("rb").read().decode("utf-8-sig").splitlines()
    codes = [line.split("\t")[-2] for line in lines[1:]]
    return {item.provider_activity_id: code for item, code in zip(found.items, codes, strict=True)}


def report_messages(upload: Upload) -> list[str]:
    lines = upload.report_file.open("rb").read().decode("utf-8-sig").splitlines()
    return [line.split("\t")[-1] for line in lines[1:]]


@pytest.mark.parametrize(
    ("file_type", "encode"),
    [
        ("xml", lambda items: activities_xml(items).encode("utf-8")),
        ("xlsx", activity_template_xlsx),
    ],
)
def test_it_stores_the_good_activities_and_reports_the_bad_ones(
    provider: Provider, user: Any, add_activity: Add, deliver_emails: Callable[[], list[Any]],
    file_type: str, encode: Callable[[list[ActivityInput]], bytes],
) -> None:  # fmt: skip
    items, expected = batch(add_activity)
    done = upload(
        provider, user, encode(items), name=f"activities.{file_type}", file_type=file_type
    )

    assert done.status == UploadStatus.COMPLETED, done.error_message
    assert (done.total_records, done.processed_records, done.rejected_records) == (200, 180, 20)
    stored = Activity.objects.filter(provider=provider)
    assert stored.count() == 180 + sum(1 for k in expected if int(k[-4:]) <= EXISTING)
    assert stored.get(provider_activity_id="ACT-2026-0001").title == "Cardiology Update 1 (v2)"
    assert stored.get(provider_activity_id="ACT-2026-0199").status == ActivityStatus.ACTIVE
    assert report_codes(done) == expected
    [email] = deliver_emails()
    assert "200 activity records were contained in the file" in email.body
    assert "Records: activities" in email.body


@pytest.mark.parametrize("file_type", ["xml", "xlsx"])
def test_it_takes_the_corrected_report_back(
    provider: Provider, user: Any, add_activity: Add, file_type: str
) -> None:
    items, expected = batch(add_activity)
    data = activities_xml(items).encode() if file_type == "xml" else activity_template_xlsx(items)
    first = upload(provider, user, data, name=f"first.{file_type}", file_type=file_type)
    report = first.report_file.open("rb").read()

    # As it is, the report uploads again and gets the same codes.
    again = upload(provider, user, report, name="rejected.txt", file_type="txt")
    assert (again.processed_records, again.rejected_records) == (0, 20)
    assert report_codes(again) == expected

    # Corrected in Excel (here: in code), it goes through.
    rejected = read_activity_file(report, file_type="txt").items
    corrected = [fixed(item, expected[item.provider_activity_id]) for item in rejected]
    final = upload(provider, user, activity_rows_txt(corrected), name="fixed.txt", file_type="txt")
    assert (final.processed_records, final.rejected_records) == (20, 0)
    assert Activity.objects.filter(provider=provider).count() == ROWS


def test_it_reports_the_same_id_twice_in_one_file_as_477(provider: Provider, user: Any) -> None:
    items = [
        good_activity(1),
        good_activity(2),
        dataclasses.replace(good_activity(1), title="Again"),
    ]
    done = upload(provider, user, activity_rows_txt(items), name="twice.txt", file_type="txt")
    assert (done.processed_records, done.rejected_records) == (2, 1)
    assert report_codes(done) == {"ACT-2026-0001": "477"}
    assert "the first was processed, this one was not" in report_messages(done)[0]


def test_it_reads_a_provider_activity_id_in_any_case(provider: Provider, user: Any) -> None:
    first = upload(provider, user, activity_rows_txt([good_activity(1)]), name="a.txt",
                   file_type="txt")  # fmt: skip
    assert first.processed_records == 1
    again = dataclasses.replace(good_activity(1), provider_activity_id="act-2026-0001", title="New")
    twice = [again, dataclasses.replace(again, provider_activity_id="Act-2026-0001")]

    done = upload(provider, user, activity_rows_txt(twice), name="b.txt", file_type="txt")

    # The first row updates ACT-2026-0001; the second names it again in this file.
    assert (done.processed_records, done.rejected_records) == (1, 1)
    assert report_codes(done) == {"Act-2026-0001": "477"}
    (activity,) = Activity.objects.filter(provider=provider)
    assert (activity.provider_activity_id, activity.title) == ("act-2026-0001", "New")


def test_it_checks_a_file_without_storing_anything(provider: Provider, user: Any) -> None:
    items = [good_activity(1), dataclasses.replace(good_activity(2), title="")]
    done = upload(
        provider, user, activity_rows_txt(items), name="check.txt", file_type="txt", mode=Mode.CHECK
    )
    assert (done.processed_records, done.rejected_records) == (1, 1)
    assert not Activity.objects.filter(provider=provider).exists()


def test_it_refuses_more_than_2500_activities_at_once_when_the_request_reads_the_file(
    provider: Provider, user: Any, settings: Any
) -> None:
    data = activity_rows_txt([good_activity(n) for n in range(1, 2502)])
    settings.UPLOAD_INLINE_READ_BYTES = len(data)
    refused = refusal(provider, user, data, name="big.txt", file_type="txt")
    assert refused.refusal == Refusal.TOO_MANY_RECORDS


def test_it_fails_more_than_2500_activities_in_the_worker_when_the_file_is_large(
    provider: Provider, user: Any
) -> None:
    data = activity_rows_txt([good_activity(n) for n in range(1, 2502)])
    assert len(data) > 256 * 1024, "over the inline cap: the worker reads it"
    done = upload(provider, user, data, name="big.txt", file_type="txt")
    assert done.status == UploadStatus.FAILED
    assert "BATCH UPLOADS MAY NOT EXCEED 2,500 RECORDS." in done.error_message
    assert not Activity.objects.filter(provider=provider).exists()


def test_it_refuses_a_learner_file_offered_as_activities(provider: Provider, user: Any) -> None:
    data = b'<accme:ACCMELearnerReports xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/"/>'
    refused = refusal(provider, user, data, name="learners.xml", file_type="xml")
    assert refused.refusal == Refusal.NOT_FORMATTED
    assert "ACCMEActivities" in refused.detail


TEMPLATE_D_HEADER = "\t".join(
    ["1. Template (DO NOT ALTER OR DELETE THIS COLUMN)", "2. ACCME Activity ID",
     "3. Provider Activity ID", "4. Reporting Year", "5. Activity Title"]
)  # fmt: skip


def template_d_row(**values: str) -> str:
    cells = [""] * 47
    columns = {"template": 1, "accme_id": 2, "own_id": 3, "year": 4, "title": 5, "date": 6,
               "city": 7, "state": 8, "country": 9, "providership": 10, "type": 11,
               "physicians": 13, "others": 14, "support": 15, "joint": 29, "credits": 30,
               "description": 31}  # fmt: skip
    base = {"template": "Template D", "year": "2026", "date": "06/10/2026", "city": "Chicago",
            "state": "IL", "country": "USA", "providership": "Direct", "type": "C",
            "physicians": "25", "others": "4", "support": "No", "credits": "6",
            "description": "A one-day course."}  # fmt: skip
    for name, value in {**base, **values}.items():
        cells[columns[name] - 1] = value
    return "\t".join(cells)


def test_it_uploads_pars_template_d(provider: Provider, user: Any, add_activity: Add) -> None:
    series = add_activity(7, format_name="Regularly Scheduled Series")
    lines = [
        TEMPLATE_D_HEADER,
        template_d_row(own_id="TD-COURSE", title="Suturing Workshop"),
        template_d_row(
            accme_id=series.activity_id,
            title="Renamed series",
            type="RSS",
            date="03/01/2026",
            credits="10",
        ),
        template_d_row(template="Template C", own_id="TD-OLD", title="Wrong template"),
        template_d_row(own_id="TD-BAD", title="Bad type", type="XYZ"),
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    done = upload(provider, user, data, name="template_d.txt", file_type="txt")

    report = done.report_file.open("rb").read().decode("utf-8-sig").splitlines()
    assert (done.processed_records, done.rejected_records) == (2, 2), report
    course = Activity.objects.get(provider=provider, provider_activity_id="TD-COURSE")
    assert (course.start_date, course.end_date) == (date(2026, 6, 10), date(2026, 6, 10))
    assert (course.status, course.physician_count, course.other_learner_count) == (
        "ready_to_close",
        25,
        4,
    )
    series.refresh_from_db()
    assert series.title == "Renamed series"
    assert series.end_date is not None and series.moc_registrations.get().board.code == "ABIM"
    report = done.report_file.open("rb").read().decode("utf-8-sig").splitlines()
    assert [line.split("\t")[0] for line in report] == ["Template C", "Template D"]
    assert [line.split("\t")[-2] for line in report] == ["485", "311"]


def test_it_lists_rejected_activities_in_the_admin_whatever_their_layout(
    provider: Provider, user: Any, admin_client: Client
) -> None:
    untitled = dataclasses.replace(good_activity(2), title="")
    portal = upload(provider, user, activity_rows_txt([good_activity(1), untitled]),
                    name="portal.txt", file_type="txt")  # fmt: skip
    lines = [template_d_row(own_id="TD-BAD", title="Bad type", type="XYZ")]
    pars = upload(provider, user, ("\r\n".join(lines) + "\r\n").encode(), name="d.txt",
                  file_type="txt")  # fmt: skip

    for done, expected in ((portal, ("ACT-2026-0002", "203")), (pars, ("TD-BAD", "311"))):
        page = admin_client.get(reverse("admin:uploads_upload_change", args=[done.pk]))
        rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", page.content.decode(), re.S)
        assert [number for number, _ in rows] == ["1"], rows
        own_id, code = expected
        assert f"<td>{own_id}</td>" in rows[0][1] and f"<td>{code}</td>" in rows[0][1]


def test_it_uploads_activities_through_the_wizard(
    staff_client: Client, provider: Provider, mailoutbox: list[Any]
) -> None:
    data = activity_rows_txt([good_activity(1), good_activity(2)])
    response = staff_client.post(
        reverse("uploads:new"),
        {"kind": "activities", "file_type": "txt", "mode": "submit",
         "file": SimpleUploadedFile("activities.txt", data)},
    )  # fmt: skip
    assert response.status_code == 303
    done = Upload.objects.get(provider=provider)
    assert (done.kind, done.program, done.status) == ("activities", "board", UploadStatus.QUEUED)
    upload_process(upload_id=done.pk)
    history = staff_client.get(reverse("uploads:history")).content.decode()
    assert "activities.txt" in history and "Tab Delimited (.txt) · Activities" in history
    assert reverse("uploads:summary_pdf", args=[done.pk]) not in history  # no learners to view
    learners_only = staff_client.get(reverse("uploads:history"), {"kind": "learners"})
    assert "activities.txt" not in learners_only.content.decode()
    activities_only = staff_client.get(reverse("uploads:history"), {"kind": "activities"})
    assert "activities.txt" in activities_only.content.decode()
    status = staff_client.get(reverse("uploads:status", args=[done.pk])).content.decode()
    assert "Activity records in the file" in status and "View activities" in status
    assert Activity.objects.filter(provider=provider).count() == 2
    # The same file again is a potential duplicate, as for learners.
    again = staff_client.post(
        reverse("uploads:new"),
        {"kind": "activities", "file_type": "txt", "mode": "submit",
         "file": SimpleUploadedFile("activities.txt", data)},
    )  # fmt: skip
    assert again.status_code == 409


@pytest.mark.parametrize("ext", ["txt", "xlsx", "xml"])
def test_it_offers_the_activity_templates(staff_client: Client, ext: str) -> None:
    response = staff_client.get(reverse("uploads:template", args=["activities", ext]))
    assert response.status_code == 200
    found = read_activity_file(response.content, file_type=ext) if ext == "xml" else None
    assert found is None or len(found.items) == 2


def test_it_refuses_an_activity_file_that_declares_entities(provider: Provider, user: Any) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<ACCMEActivities><MedicalEducationMetrics>&x;</MedicalEducationMetrics></ACCMEActivities>"
    )
    refused = refusal(provider, user, data, name="xxe.xml", file_type="xml")
    assert refused.refusal == Refusal.NOT_FORMATTED
    assert "DOCTYPE" in refused.detail


def test_an_update_row_with_blank_moc_and_rems_columns_keeps_the_registrations(
    provider: Provider, user: Any
) -> None:
    registered = dataclasses.replace(good_activity(1), rems="yes")
    first = upload(provider, user, activity_rows_txt([registered]), name="a.txt", file_type="txt")
    assert first.processed_records == 1
    renamed = dataclasses.replace(good_activity(1), title="Renamed", moc=(), rems="")

    done = upload(provider, user, activity_rows_txt([renamed]), name="b.txt", file_type="txt")

    assert (done.processed_records, done.rejected_records) == (1, 0)
    activity = Activity.objects.get(provider=provider)
    assert activity.title == "Renamed"
    assert [r.board.code for r in activity.moc_registrations.all()] == ["ABIM"]
    assert activity.rems_registered


def test_an_update_row_saying_no_to_rems_unregisters_it(provider: Provider, user: Any) -> None:
    registered = dataclasses.replace(good_activity(1), rems="yes")
    upload(provider, user, activity_rows_txt([registered]), name="a.txt", file_type="txt")
    unregistered = dataclasses.replace(good_activity(1), moc=(), rems="no")

    done = upload(provider, user, activity_rows_txt([unregistered]), name="b.txt", file_type="txt")

    assert done.processed_records == 1
    activity = Activity.objects.get(provider=provider)
    assert not activity.rems_registered
    assert activity.moc_registrations.count() == 1
