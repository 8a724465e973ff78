"""One record, every door, one verdict: a `.txt` row, a `.csv` row, an XML file row,
SaveLearnerActivity and manual entry give a generated learner record the same codes.

Records good and bad are generated (dates of year 9999 and February 29/31, bad NPIs, accents,
missing or odd credits, boards and credit types) and each goes through every door, each door in
a transaction rolled back afterwards so no door sees what another stored. This is the guard
against the next divergence: a rule given a second home shows up here as a difference.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.models import Activity
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.engine.services import learner_rows_validate
from learners.formats import read_learner_file
from portal.models import Membership, Provider
from tests.doors import (
    activity_report,
    csv_file,
    learner_reports_xml,
    rems_activity_report,
    rems_txt_file,
    submit_message,
    txt_file,
)
from tests.webservices.conftest import PASSWORD, PROVIDER_ID, SAVE_LEARNER, TODAY, USER, XML
from tests.webservices.conftest import codes as response_codes

pytestmark = pytest.mark.django_db

# Bounded for `make test` (each example goes through five doors); DOOR_EXAMPLES=500 searches longer.
DOORS = settings(
    max_examples=int(os.environ.get("DOOR_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ACTIVITY = "210015516"  # ABIM 10 points (Medical Knowledge, Patient Safety), 10 AMA credits

dates = st.sampled_from(
    ["07/06/2025", "7/6/2025", "12/31/9999", "01/01/9998", "02/29/2024", "02/29/2025",
     "02/31/2025", "13/01/2025", "", "07/06/2023", "02/01/2025", "12/15/2026", "2025-07-06",
     "01/01/0001", "07/06/0999"]
)  # fmt: skip
first_names = st.sampled_from(["Jane", "JANE", " jane ", "Jäne", "Janet", ""])
last_names = st.sampled_from(["ACCME", "accme", "Accmé", "A-CCME", "Smith", ""])
births = st.sampled_from(["10/30", "10/3", "02/30", "02/29", "", "13/01", "1904-10-30"])
identities = st.sampled_from(
    [
        {"licensing_state": "IL", "license_id": "036999902"},
        {"licensing_state": "Illinois", "license_id": "036999902"},
        {"licensing_state": "ME", "license_id": "MD999902"},
        {"licensing_state": "", "license_id": "1999999026"},  # Jane's NPI
        {"licensing_state": "", "license_id": "1234567890"},  # bad check digit
        {"licensing_state": "IL", "license_id": "1999999026"},
        {"licensing_state": "IL", "license_id": ""},
        {"licensing_state": "ZZ", "license_id": "036999902"},
    ]
)
cme = st.sampled_from(["2", "0.25", "10", "10.25", "", "1e1", "+2", "0", "1.3", "x", "1,5"])
points = st.sampled_from(["1.5", "10", "12", "3.08", "0", "", "1e1", "-1"])
credit_types = st.sampled_from(["Medical Knowledge", "Patient Safety", "Practice Assessment"])
board_ids = st.sampled_from(["999902", "000000"])


@st.composite
def records(draw: Any) -> dict[str, str]:
    record = {
        "record_action": "Add",
        "activity_id": ACTIVITY,
        "completion_date": draw(dates),
        "first_name": draw(first_names),
        "last_name": draw(last_names),
        "birth_date": draw(births),
        "cme_credits": draw(cme),
        **draw(identities),
    }
    if draw(st.booleans()):
        amount = draw(points)
        record.update(
            board="ABIM", board_id=draw(board_ids), board_points=amount,
            credit_type=draw(credit_types), credit_type_points=amount,
        )  # fmt: skip
    return record


@contextmanager
def rolled_back() -> Iterator[None]:
    """Let a door store what it accepts, then undo it: the next door starts from the same data."""

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            yield
            raise Undo
    except Undo:
        pass


def through_file(provider: Provider, data: bytes, file_type: str, program: str) -> set[str]:
    """The upload's path: read the file, judge its row (as "Check file only" would)."""
    rows = read_learner_file(data, file_type=file_type, program=program)
    [result] = learner_rows_validate(
        provider=provider, rows=rows, program=program, today=TODAY, credit_id_prefix="U-R"
    )
    return set(result.codes)


def through_web_service(data: str) -> set[str]:
    body = submit_message(data, user=USER, password=PASSWORD, provider_id=PROVIDER_ID)
    response = Client().post(SAVE_LEARNER, data=body, content_type=XML)
    assert response.status_code == 200, response.content
    return set(response_codes(response))


def through_manual_entry(client: Client, record: dict[str, str], program: str) -> set[str]:
    fields = {k: v for k, v in record.items() if k not in ("record_action", "activity_id")}
    url = reverse("learners:manual_entry", args=[record["activity_id"]])
    response = client.post(url, {**fields, "program": program})
    if response.status_code == 302:
        return set()
    assert response.status_code == 400, response.status_code
    rejected = response.context["rejected"]
    assert rejected is not None, response.content.decode()[:2000]  # not a form error
    return set(rejected.codes)


def every_door(
    provider: Provider, staff: Client, record: dict[str, str], *, program: str = "board"
) -> dict[str, set[str]]:
    """The codes each door gives the record, each door's writes undone before the next."""
    rems = program == "rems"
    table = (rems_txt_file if rems else txt_file)([record])
    report = rems_activity_report if rems else activity_report
    answers = {}
    with rolled_back():
        answers["txt"] = through_file(provider, table, "txt", program)
    with rolled_back():
        columns = REMS_COLUMNS if rems else BOARD_COLUMNS
        answers["csv"] = through_file(provider, csv_file([record], columns), "csv", program)
    with rolled_back():
        data = learner_reports_xml([report(record, "file")]).encode()
        answers["xml file"] = through_file(provider, data, "xml", program)
    with rolled_back():
        answers["web service"] = through_web_service(learner_reports_xml([report(record, "ws")]))
    with rolled_back():
        answers["manual entry"] = through_manual_entry(staff, record, program)
    return answers


@pytest.fixture
def staff(sandbox: Provider) -> Client:
    client = Client()
    client.force_login(Membership.objects.filter(provider=sandbox).first().user)  # type: ignore[union-attr]
    return client


@DOORS
@given(record=records())
def test_every_door_gives_a_record_the_same_codes(
    sandbox: Provider, staff: Client, record: dict[str, str]
) -> None:
    answers = every_door(sandbox, staff, record)
    assert len({frozenset(codes) for codes in answers.values()}) == 1, (record, answers)


REMS_ACTIVITY = "210015525"  # registered for Opioid Analgesic REMS

rems_values = {
    "learner_local_id": st.sampled_from(["LMS-1", "  LMS-2 ", "", "x" * 101]),
    "profession": st.sampled_from(["Physician", "nurse", "Astronaut", ""]),
    "practice_area": st.sampled_from(["Pain", "Hospice and/or Palliative Care", "Astrology", ""]),
    "dea_registration": st.sampled_from(["Individual", "None", "Maybe", ""]),
    "practice_state": st.sampled_from(["IL", "Wisconsin", "ZZ", ""]),
    "time_in_practice": st.sampled_from(["6-10 years", "21+ years", "forever", ""]),
    "performs_surgery": st.sampled_from(["Y", "N", "maybe", ""]),
}


@st.composite
def rems_records(draw: Any) -> dict[str, str]:
    record = {"record_action": "Add", "activity_id": REMS_ACTIVITY}
    record["completion_date"] = draw(
        st.sampled_from(["10/15/2026", "12/31/9999", "02/31/2026", ""])
    )
    record.update({name: draw(values) for name, values in rems_values.items()})
    return record


@DOORS
@given(record=rems_records())
def test_every_door_gives_a_rems_record_the_same_codes(
    sandbox: Provider, staff: Client, record: dict[str, str]
) -> None:
    answers = every_door(sandbox, staff, record, program="rems")
    assert len({frozenset(codes) for codes in answers.values()}) == 1, (record, answers)


JANE = {
    "record_action": "Add", "first_name": "Jane", "last_name": "ACCME", "birth_date": "10/30",
    "licensing_state": "", "license_id": "1999999026", "cme_credits": "2",
}  # fmt: skip
CLOSED_ACTIVITY, DRAFT_ACTIVITY = "210015529", "210015528"  # the sandbox's; the draft lacks credits


@pytest.mark.parametrize(
    ("activity_id", "completion_date", "code"),
    [(CLOSED_ACTIVITY, "07/06/2025", "481"), (DRAFT_ACTIVITY, "10/01/2026", "749")],
)
def test_every_door_refuses_a_learner_on_an_activity_that_takes_none(
    sandbox: Provider, staff: Client, activity_id: str, completion_date: str, code: str
) -> None:
    record = {**JANE, "activity_id": activity_id, "completion_date": completion_date}
    answers = every_door(sandbox, staff, record)
    assert all(codes == {code} for codes in answers.values()), answers


def test_every_door_takes_a_learner_on_a_draft_that_has_what_learners_need(
    sandbox: Provider, staff: Client
) -> None:
    # A draft without a description (Active needs one) but with dates, credits and providership.
    Activity.objects.filter(activity_id=DRAFT_ACTIVITY).update(
        ama_credits=Decimal("8"), providership="direct"
    )
    record = {**JANE, "activity_id": DRAFT_ACTIVITY, "completion_date": "10/01/2026"}
    answers = every_door(sandbox, staff, record)
    assert all(codes == set() for codes in answers.values()), answers
