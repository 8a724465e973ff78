"""The pure SaveActivity rules of learners/activities.py, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from learners.activities import (
    ActivityDataError,
    ActivityInput,
    ExistingActivity,
    Lookups,
    MocInput,
    judge_activity,
    parse_activity_xml,
    parse_iso_date,
    quarter_steps,
    record_action,
)
from learners.engine.values import parse_credits
from tests.webservices.conftest import fixture

TODAY = date(2026, 11, 22)
LOOKUPS = Lookups(
    formats={"live course": 1, "c": 1, "manuscript review": 7},
    boards={"abim": (1, "ABIM", {"medical knowledge": 11, "patient safety": 12})},
)
GOOD = ActivityInput(
    action="Add",
    provider_activity_id="PA-1",
    title="Update",
    format_name="Live Course",
    start_date="2026-01-10",
    end_date="2026-01-12",
    credit_claim_date="2026-03-31",
    has_ama_credits=True,
    ama_credits="2.5",
    moc=(MocInput("abim", "2.25", ("Medical Knowledge",)),),
)


def judge(
    item: ActivityInput, *, existing: ExistingActivity | None = None, year: str = "2026"
) -> list[str]:
    action, errors = record_action(item.action)
    assert not errors
    found, _ = judge_activity(
        action, item, lookups=LOOKUPS, existing=existing, taken_provider_id=None,
        reporting_year=year, today=TODAY,
    )  # fmt: skip
    return [e.code for e in found]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-12-31", date(2021, 12, 31)),
        ("2021-12-31T00:00:00", date(2021, 12, 31)),
        ("2021-12-31T18:30:00-06:00", date(2021, 12, 31)),
        (" 2021-01-05 ", date(2021, 1, 5)),
        ("2021-02-30", None),
        ("12/31/2021", None),
        ("", None),
    ],
)
def test_it_keeps_the_date_part_of_iso_dates(value: str, expected: date | None) -> None:
    assert parse_iso_date(value) == expected


@pytest.mark.parametrize(
    ("value", "zero", "expected"),
    [
        ("2", False, Decimal("2")),
        ("0.75", False, Decimal("0.75")),
        ("0", True, Decimal("0")),
        ("0", False, None),
        ("2.1", True, None),
        ("-1", True, None),
        ("NaN", True, None),
        ("1e9", True, None),
        ("two", True, None),
    ],
)
def test_it_accepts_only_quarter_steps(value: str, zero: bool, expected: Decimal | None) -> None:
    assert quarter_steps(value, allow_zero=zero) == expected


@pytest.mark.parametrize(
    ("value", "action", "codes"),
    [("add", "Add", []), ("DELETE", "Delete", []), ("", "", ["101"]), ("Upsert", "", ["102"])],
)
def test_it_reads_the_record_action(value: str, action: str, codes: list[str]) -> None:
    found, errors = record_action(value)
    assert (found, [e.code for e in errors]) == (action, codes)


def test_it_accepts_a_complete_activity() -> None:
    action, _ = record_action("Add")
    errors, clean = judge_activity(
        action, GOOD, lookups=LOOKUPS, existing=None, taken_provider_id=None,
        reporting_year="2026", today=TODAY,
    )  # fmt: skip
    assert errors == []
    assert (clean.format_id, clean.ama_credits, clean.credit_claim_date) == (
        1,
        Decimal("2.5"),
        date(2026, 3, 31),
    )
    assert clean.moc == [(1, "ABIM", Decimal("2.25"), [11])]


def test_it_collects_several_codes_at_once() -> None:
    item = ActivityInput(
        action="Add", provider_activity_id="PA-1", title="", format_name="Podcast",
        start_date="2026-02-01", end_date="2026-01-01", moc=(MocInput("ABIM", "", ()),),
    )  # fmt: skip
    assert judge(item) == ["203", "311", "469", "206"]


def test_it_offers_every_board_credit_type_when_none_is_listed() -> None:
    item = ActivityInput(**{**GOOD.__dict__, "moc": (MocInput("ABIM", "1", ()),)})
    _, clean = judge_activity(
        "Add", item, lookups=LOOKUPS, existing=None, taken_provider_id=None,
        reporting_year="2026", today=TODAY,
    )  # fmt: skip
    assert sorted(clean.moc[0][3]) == [11, 12]


def test_it_refuses_an_update_of_a_closed_activity() -> None:
    closed = ExistingActivity(
        activity_id="210000001", status="closed", reporting_year=2026, format_id=1,
        live_records=0, all_records=0, boards_with_records=frozenset(),
    )  # fmt: skip
    item = ActivityInput(**{**GOOD.__dict__, "action": "Update", "accme_activity_id": "210000001"})
    assert judge(item, existing=closed) == ["481"]


def test_it_refuses_a_delete_of_an_activity_with_learners() -> None:
    busy = ExistingActivity(
        activity_id="210000001", status="active", reporting_year=2026, format_id=1,
        live_records=3, all_records=3, boards_with_records=frozenset({"ABIM"}),
    )  # fmt: skip
    item = ActivityInput(action="Delete", accme_activity_id="210000001")
    assert judge(item, existing=busy) == ["106"]


def test_it_reads_the_guides_sample() -> None:
    parsed = parse_activity_xml(fixture("activity_add.xml"))
    item = parsed.input
    assert (item.action, item.provider_activity_id, item.accme_activity_id) == (
        "Add",
        "addactivityexample",
        "",
    )
    assert (item.title, item.format_name) == ("Internal Medicine Manuscript", "Manuscript Review")
    assert (item.start_date, item.end_date, item.credit_claim_date) == (
        "2021-01-30",
        "2021-12-30",
        "2021-12-31",
    )
    assert item.ama_credits == "28"
    assert item.moc == (MocInput("ABIM", "2.0", ("Medical Knowledge", "Patient Safety")),)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("", "453"),
        ("<a>", "453"),
        ('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "453"),
        ("<accme:ACCMEActivities xmlns:accme='urn:x'/>", "453"),
    ],
)
def test_it_refuses_data_it_cannot_read(data: str, code: str) -> None:
    with pytest.raises(ActivityDataError) as caught:
        parse_activity_xml(data)
    assert caught.value.error.code == code


@pytest.mark.parametrize("text", ["1e1", "+2", "1,5", "0x2", "²", " 2 2"])
def test_it_reads_credit_amounts_as_the_learner_engine_does(text: str) -> None:
    """One credit parser: what a learner's credits can't be, an activity's can't either."""
    assert parse_credits(text)[0] is None
    assert "468" in judge(replace(GOOD, ama_credits=text))
    assert "306" in judge(replace(GOOD, moc=(MocInput("abim", text, ("Medical Knowledge",)),)))
