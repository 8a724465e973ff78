"""Learner Search: every criterion and their combination, paging, exports and scoping."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from activities.models import Activity
from learners.models import Board, CompletionRecord, Learner, RecordStatus
from portal.models import Provider
from tests.factories import ActivityFactory, CompletionRecordFactory, LearnerFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("learners:learner_search")


@pytest.fixture(autouse=True)
def today(time_machine: object) -> date:
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    time_machine.move_to(noon, tick=False)  # type: ignore[attr-defined]
    return noon.date()


@pytest.fixture
def people() -> dict[str, Learner]:
    return {
        "georgia": LearnerFactory(
            first_name="Georgia",
            last_name="O'Keeffe",
            birth_month=11,
            birth_day=15,
            npi="1234567893",
            license=("IL", "036123456"),
            board_ids={"ABIM": "979790"},
        ),
        "claude": LearnerFactory(
            first_name="Claude", last_name="Monet", birth_month=11, birth_day=14
        ),
        "jose": LearnerFactory(first_name="José", last_name="Muñoz", birth_month=3, birth_day=30),
    }


@pytest.fixture
def records(
    provider: Provider, other_provider: Provider, people: dict[str, Learner]
) -> dict[str, CompletionRecord]:
    imu = ActivityFactory(
        provider=provider,
        title="Internal Medicine Update",
        provider_activity_id="IMU-1",
        start_date=date(2026, 1, 5),
        boards={"ABIM": "10"},
    )
    pc = ActivityFactory(
        provider=provider, title="Primary Care Essentials", start_date=date(2026, 1, 5)
    )
    rems = ActivityFactory(provider=provider, title="REMS Course", rems_registered=True)
    theirs = ActivityFactory(provider=other_provider, title="Their Grand Rounds")
    abim = Board.objects.get(code="ABIM")
    return {
        "georgia_moc": CompletionRecordFactory(
            activity=imu,
            learner=people["georgia"],
            completion_date=date(2026, 3, 1),
            board=abim,
            diplomate_id="979790",
            moc_points=Decimal("2"),
            moc_credits=[{"type": "Medical Knowledge", "points": "2.00"}],
            status=RecordStatus.SUBMITTED,
        ),
        "georgia_cme": CompletionRecordFactory(
            activity=pc,
            learner=people["georgia"],
            completion_date=date(2026, 6, 1),
            licensing_state="IL",
            license_id="036123456",
        ),
        "claude": CompletionRecordFactory(
            activity=pc,
            learner=people["claude"],
            completion_date=date(2026, 9, 1),
            status=RecordStatus.DELETED,
        ),
        "jose": CompletionRecordFactory(
            activity=imu, learner=people["jose"], completion_date=date(2026, 5, 1)
        ),
        "rems": CompletionRecordFactory(
            activity=rems,
            learner=None,
            rems_learner_local_id="LOCAL-9",
            rems_profession="Nurse",
            completion_date=date(2026, 10, 1),
        ),
        "theirs": CompletionRecordFactory(
            activity=theirs, learner=people["georgia"], completion_date=date(2026, 10, 2)
        ),
    }


def _found(response: object) -> set[int]:
    return {r.pk for r in response.context["page"]}  # type: ignore[attr-defined]


def _pks(records: dict[str, CompletionRecord], *names: str) -> set[int]:
    return {records[name].pk for name in names}


def test_it_lists_every_reported_learner_of_the_provider(
    staff_client: Client, records: dict[str, CompletionRecord]
) -> None:
    response = staff_client.get(SEARCH)

    assert response.status_code == 200
    assert _found(response) == _pks(records, "georgia_moc", "georgia_cme", "claude", "jose", "rems")
    assert b"Their Grand Rounds" not in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"first_name": "georgia"}, ["georgia_moc", "georgia_cme"]),
        ({"last_name": "OKEEFFE"}, ["georgia_moc", "georgia_cme"]),
        ({"last_name": "munoz"}, ["jose"]),
        ({"first_name": "jose", "last_name": "Muñoz"}, ["jose"]),
        ({"board_id": "979790"}, ["georgia_moc", "georgia_cme"]),
        ({"npi_or_license": "1234567893"}, ["georgia_moc", "georgia_cme"]),
        ({"npi_or_license": "036123456"}, ["georgia_moc", "georgia_cme"]),
        ({"birth_month": "11"}, ["georgia_moc", "georgia_cme", "claude"]),
        ({"birth_month": "11", "birth_day": "14"}, ["claude"]),
        ({"activity": "internal medicine"}, ["georgia_moc", "jose"]),
        ({"activity": "IMU-1"}, ["georgia_moc", "jose"]),
        ({"completed_from": "2026-05-01"}, ["georgia_cme", "claude", "jose", "rems"]),
        ({"completed_to": "05/01/2026"}, ["georgia_moc", "jose"]),
        (
            {"completed_from": "2026-05-01", "completed_to": "2026-06-30"},
            ["georgia_cme", "jose"],
        ),
        ({"status": "deleted"}, ["claude"]),
        ({"status": "submitted"}, ["georgia_moc"]),
        ({"last_name": "nobody"}, []),
    ],
)
def test_it_searches_by_each_criterion(
    staff_client: Client,
    records: dict[str, CompletionRecord],
    query: dict[str, str],
    expected: list[str],
) -> None:
    response = staff_client.get(SEARCH, query)

    assert response.status_code == 200
    assert _found(response) == _pks(records, *expected)


def test_it_searches_by_activity_id(
    staff_client: Client, records: dict[str, CompletionRecord]
) -> None:
    activity: Activity = records["rems"].activity

    response = staff_client.get(SEARCH, {"activity": activity.activity_id})

    assert _found(response) == _pks(records, "rems")


def test_it_combines_criteria(staff_client: Client, records: dict[str, CompletionRecord]) -> None:
    response = staff_client.get(
        SEARCH,
        {"first_name": "Georgia", "activity": "primary care", "status": "accepted"},
    )

    assert _found(response) == _pks(records, "georgia_cme")


def test_it_shows_pars_columns(staff_client: Client, records: dict[str, CompletionRecord]) -> None:
    response = staff_client.get(SEARCH, {"first_name": "georgia"})

    content = response.content.decode()
    for header in (
        "Board",
        "First Name",
        "Last Name",
        "DOB",
        "Learner ID",
        "Activity",
        "Date Completed",
        "Submission Date",
        "Credits Awarded",
        "Status",
    ):
        assert f">{header}</th>" in content, header
    assert "ABIM" in content
    assert "11/15" in content
    assert "Medical Knowledge 2.00" in content
    assert "03/01/2026" in content
    assert "11/22/2026" in content  # submission date
    assert "Submitted" in content


def test_it_shows_rems_records_without_identity(
    staff_client: Client, records: dict[str, CompletionRecord]
) -> None:
    response = staff_client.get(SEARCH, {"activity": "REMS Course"})

    content = response.content.decode()
    assert "REMS" in content
    assert "LOCAL-9" in content


@pytest.mark.parametrize(
    ("query", "message", "field"),
    [
        ({"completed_from": "yesterday"}, "Enter a valid date.", "completed_from"),
        (
            {"completed_from": "2026-06-01", "completed_to": "2026-05-01"},
            "ends before it starts",
            "completed_to",
        ),
        ({"birth_month": "13"}, "Select a valid choice", "birth_month"),
        ({"status": "lost"}, "Select a valid choice", "status"),
    ],
)
def test_it_refuses_bad_criteria_with_a_client_error_leading_to_the_field(
    staff_client: Client, query: dict[str, str], message: str, field: str
) -> None:
    response = staff_client.get(SEARCH, query)

    assert response.status_code == 400
    page = html.fromstring(response.content)
    (summary,) = page.xpath('//div[@id="form-errors"][@role="alert"][@autofocus]')
    (link,) = summary.xpath(".//a")
    assert link.get("href") == f"#id_{field}" and message in link.text_content()
    assert page.xpath(f'//*[@id="id_{field}"]')[0].get("aria-invalid") == "true"


def test_it_pages_search_results(staff_client: Client, provider: Provider) -> None:
    activity = ActivityFactory(provider=provider)
    for _ in range(27):
        CompletionRecordFactory(activity=activity)

    first = staff_client.get(SEARCH)
    second = staff_client.get(SEARCH, {"page": "2"})

    assert b"Showing 1 - 25 of 27 Learners" in first.content
    assert b"Showing 26 - 27 of 27 Learners" in second.content
    assert not _found(first) & _found(second)


def test_it_refuses_post_on_search(staff_client: Client) -> None:
    assert staff_client.post(SEARCH).status_code == 405


def test_it_keeps_each_provider_to_its_own_learners(
    outsider_client: Client, records: dict[str, CompletionRecord]
) -> None:
    response = outsider_client.get(SEARCH, {"first_name": "georgia"})

    assert _found(response) == _pks(records, "theirs")


# -- Exports -----------------------------------------------------------------------------------


def _export(client: Client, fmt: str, query: dict[str, str]) -> object:
    return client.get(reverse("learners:learner_search_export", args=[fmt]), query)


def test_it_exports_search_results_as_csv(
    staff_client: Client, records: dict[str, CompletionRecord], people: dict[str, Learner]
) -> None:
    response = _export(staff_client, "csv", {"first_name": "georgia"})

    assert response.status_code == 200  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # type: ignore[attr-defined]
    by_credit = {row["Credit ID"]: row for row in rows}
    assert set(by_credit) == {records["georgia_moc"].credit_id, records["georgia_cme"].credit_id}
    moc = by_credit[records["georgia_moc"].credit_id]
    assert moc["Board"] == "ABIM"
    assert (moc["First Name"], moc["Last Name"], moc["DOB"]) == ("Georgia", "O'Keeffe", "11/15")
    assert moc["Learner ID"] == str(people["georgia"].pk)
    assert moc["Date Completed"] == "03/01/2026"
    assert moc["MOC Points"] == "2.00"
    # A combined record: its AMA credit is awarded too, not only its MOC points.
    assert moc["CME Credits"] == "1.00"
    assert moc["Credits Awarded"] == "AMA PRA Category 1 Credit; Medical Knowledge 2.00"
    assert moc["Status"] == "Submitted"
    cme = by_credit[records["georgia_cme"].credit_id]
    assert (cme["Board"], cme["CME Credits"], cme["Status"]) == ("CME", "1.00", "Accepted")


def test_it_exports_search_results_as_xlsx(
    staff_client: Client, records: dict[str, CompletionRecord]
) -> None:
    response = _export(staff_client, "xlsx", {"status": "accepted"})

    assert response.status_code == 200  # type: ignore[attr-defined]
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active  # type: ignore[attr-defined]
    header, *rows = list(sheet.iter_rows(values_only=True))
    by_credit = {
        row[header.index("Credit ID")]: dict(zip(header, row, strict=True)) for row in rows
    }
    assert set(by_credit) == {records[name].credit_id for name in ("georgia_cme", "jose", "rems")}
    rems = by_credit[records["rems"].credit_id]
    assert rems["Board"] == "REMS"
    assert rems["First Name"] is None
    assert rems["Learner ID"] == "LOCAL-9"
    assert rems["Date Completed"].date() == date(2026, 10, 1)
    assert by_credit[records["jose"].credit_id]["Last Name"] == "Muñoz"


def test_it_exports_only_the_providers_records(
    outsider_client: Client, records: dict[str, CompletionRecord]
) -> None:
    response = _export(outsider_client, "csv", {})

    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert [row["Credit ID"] for row in rows] == [records["theirs"].credit_id]


def test_it_refuses_bad_criteria_on_export(staff_client: Client) -> None:
    assert _export(staff_client, "xlsx", {"status": "lost"}).status_code == 400  # type: ignore[attr-defined]


def test_it_refuses_post_on_search_export(staff_client: Client) -> None:
    assert (
        staff_client.post(reverse("learners:learner_search_export", args=["csv"])).status_code
        == 405
    )


def test_search_costs_the_same_queries_for_more_results(
    staff_client: Client, provider: Provider
) -> None:
    activity = ActivityFactory(provider=provider)
    CompletionRecordFactory(activity=activity)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(SEARCH)
        return len(captured)

    few = queries()
    for _ in range(10):
        CompletionRecordFactory(activity=ActivityFactory(provider=provider))

    assert queries() == few
