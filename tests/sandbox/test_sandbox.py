"""The sandbox page: test learners to download, and the board cycle run now for one's own records."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from activities.models import Activity
from learners.models import Board, CompletionRecord, Learner, RecordStatus
from learners.sandbox import seed_sandbox
from portal.models import Provider
from tests.factories import CompletionRecordFactory
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    SAVE_LEARNER,
    fixture,
    post,
    status_code,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
CREDIT_ID = "ccid:aaatestorganization.org:v31234"


@pytest.fixture(autouse=True)
def frozen_today() -> Any:
    moment = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def sandbox_install(settings: Any) -> None:
    settings.SANDBOX = True


@pytest.fixture
def aaa(db: None) -> Provider:
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id="0001234")


def login(email: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=email))
    return client


@pytest.fixture
def staff(aaa: Provider) -> Client:
    return login("demo@aaa-test.org")


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# -- Test learners -----------------------------------------------------------------------------


def test_it_downloads_every_test_physician_as_csv(staff: Client) -> None:
    response = staff.get("/sandbox/test-learners.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="pars-sandbox-test-learners.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == Learner.objects.count() >= 350
    jane = next(r for r in rows if "036999902" in r["Licenses (State License ID)"])
    assert (jane["First Name"], jane["Birth Month"], jane["Birth Day"]) == ("Jane", "10", "30")
    assert jane["Licenses (State License ID)"] == "IL 036999902; ME MD999902"
    assert (jane["Board IDs (Board ID)"], jane["Boards"], jane["States"]) == ("ABIM 999902", "ABIM", "IL, ME")  # fmt: skip
    assert jane["NPI"] == Learner.objects.get(licenses__license_id="036999902").npi


def test_it_lists_the_integration_notes_physician_with_his_me_number(staff: Client) -> None:
    rows = csv_rows(staff.get("/sandbox/test-learners.csv"))
    (james,) = [r for r in rows if (r["First Name"], r["Last Name"]) == ("James", "Holloway")]
    assert (james["Birth Month"], james["Birth Day"], james["ME Number"]) == (
        "3",
        "22",
        "1234567890",
    )


def test_it_covers_every_board_and_state(staff: Client) -> None:
    rows = csv_rows(staff.get("/sandbox/test-learners.csv"))
    boards = {b for r in rows for b in r["Boards"].split(", ") if b}
    states = {s for r in rows for s in r["States"].split(", ") if s}
    assert boards == set(Board.objects.values_list("code", flat=True))
    assert len(states) == 51


def test_it_downloads_the_test_physicians_as_xlsx(staff: Client) -> None:
    response = staff.get("/sandbox/test-learners.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:6] == ("First Name", "Last Name", "Birth Month", "Birth Day", "NPI", "ME Number")
    assert len(rows) == Learner.objects.count()


def test_it_offers_no_other_format(staff: Client) -> None:
    assert staff.get("/sandbox/test-learners.pdf").status_code == 404


@pytest.mark.parametrize(
    "path", ["/sandbox/", "/sandbox/test-learners.csv", "/sandbox/test-learners.xlsx"]
)
def test_it_is_not_there_on_a_production_install(staff: Client, settings: Any, path: str) -> None:
    settings.SANDBOX = False
    assert staff.get(path).status_code == 404
    assert b"/sandbox/" not in staff.get("/web-services/").content


def test_it_asks_for_a_login(aaa: Provider) -> None:
    response = Client().get("/sandbox/test-learners.csv")
    assert response.status_code == 302


def test_it_links_the_sandbox_page(staff: Client) -> None:
    page = staff.get("/sandbox/")
    assert page.status_code == 200
    assert b'href="/sandbox/test-learners.csv"' in page.content
    assert b'href="/sandbox/"' in staff.get("/").content


# -- The sandbox clock -------------------------------------------------------------------------


def test_it_runs_the_board_cycle_for_the_providers_own_records(
    aaa: Provider, staff: Client
) -> None:
    ws = Client()
    assert (
        status_code(post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml")))
        == "Accepted"
    )
    status = fixture("status_by_credit_id_request.xml")
    assert status_code(post(ws, BY_CREDIT_ID, status)) == "Pending"
    other = CompletionRecordFactory(
        activity=Activity.objects.get(activity_id="210025501"),
        status=RecordStatus.SUBMITTED,
        board=Board.objects.get(code="ABIM"),
        diplomate_id="999902",
    )
    assert b"1 Submitted, 0 Transmitted" in staff.get("/sandbox/").content

    response = staff.post("/sandbox/board-cycle/", follow=True)
    assert response.redirect_chain == [("/sandbox/", 302)]
    assert (
        b"Board cycle run for 0001234: 1 transmitted, 1 approved, 0 rejected." in response.content
    )
    record = CompletionRecord.objects.get(provider=aaa, credit_id=CREDIT_ID)
    assert record.status == RecordStatus.APPROVED
    assert status_code(post(ws, BY_CREDIT_ID, status)) == "Accepted"
    other.refresh_from_db()
    assert other.status == RecordStatus.SUBMITTED  # another provider's records wait for the night


def test_it_shows_a_board_rejection_at_once(
    aaa: Provider, staff: Client, deliver_emails: Callable[[], list[Any]]
) -> None:
    record = CompletionRecordFactory(
        activity=Activity.objects.get(activity_id="210015516"),
        credit_id="ccid:aaa:unknown-diplomate",
        status=RecordStatus.SUBMITTED,
        board=Board.objects.get(code="ABIM"),
        diplomate_id="000000",  # no ABIM diplomate has it: the board rejects (661)
    )
    response = staff.post("/sandbox/board-cycle/", follow=True)
    assert b"1 transmitted, 0 approved, 1 rejected (1 rejection email sent)." in response.content
    record.refresh_from_db()
    assert record.status == RecordStatus.REJECTED
    assert [m.to for m in deliver_emails()] == [[aaa.primary_contact_email]]
    status = fixture("status_by_credit_id_request.xml").replace(CREDIT_ID, record.credit_id)
    answer = post(Client(), BY_CREDIT_ID, status)
    assert status_code(answer) == "Rejected"
    assert b"<Code>661</Code>" in answer.content


def test_its_board_cycle_takes_post_only(staff: Client) -> None:
    assert staff.get("/sandbox/board-cycle/").status_code == 405


def test_its_board_cycle_is_not_there_on_a_production_install(staff: Client, settings: Any) -> None:
    settings.SANDBOX = False
    assert staff.post("/sandbox/board-cycle/").status_code == 404
