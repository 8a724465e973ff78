"""Every Appendix A code the replica produces, each through its one shared rule.

`judge` is what every door calls (SaveActivity, the screens, the admin, the batch files), so a
code proven here is the code every door gives. The facts are plain data: no database.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest

from activities.batch import ActivityRowResult, duplicate_key
from activities.facts import BoardRef, ExistingActivity, FormatRef, Lookups
from activities.inputs import ActivityInput, MocInput, with_stored
from activities.models import ActivityStatus
from activities.status import judge, year_is_open
from activities.xml import ActivityDataError, parse_activity_xml
from learners.engine.values import parse_credits
from tests.activities.makers import TODAY, good_activity

LIVE = FormatRef(1, "C", "Live Course")
MANUSCRIPT = FormatRef(2, "MR", "Manuscript Review")
LOOKUPS = Lookups(
    formats={"live course": LIVE, "c": LIVE, "manuscript review": MANUSCRIPT, "mr": MANUSCRIPT},
    boards={
        "abim": BoardRef(1, "ABIM", {"medical knowledge": 11, "patient safety": 12}, {}),
        "abpath": BoardRef(2, "ABPath", {"lifelong learning": 21}, {"cytopathology": 31}),
    },
    specialties={"cardiology": 41, "hematology": 42},
    rems_allowed=True,
)
BASE = good_activity()
ACTIVITIES_APP = Path(__file__).resolve().parents[2] / "activities"


def existing(**changes: object) -> ExistingActivity:
    facts = ExistingActivity(
        pk=1, activity_id="200000001", provider_activity_id="ACT-2026-0001", status="active",
        reporting_year=2026, format_id=LIVE.pk,
    )  # fmt: skip
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


UPDATE = {"action": "Update", "accme_activity_id": "200000001"}
DELETE = {"action": "Delete", "accme_activity_id": "200000001"}
CLOSE = {"status": "closed", "start_date": "2026-03-01", "end_date": "2026-06-30",
         "credit_claim_date": "", "physicians": "12", "other_learners": "3"}  # fmt: skip
LONG = "x" * 501

# code → (changes to BASE, the stored activity, the id a taken Provider Activity ID belongs to)
CASES: dict[str, tuple[dict[str, object], ExistingActivity | None, str | None]] = {
    "101": ({"action": ""}, None, None),
    "102": ({"action": "Upsert"}, None, None),
    "103": ({}, None, "200000077"),
    "104": (UPDATE, None, None),
    "105": (DELETE, None, None),
    "106": (DELETE, existing(live_records=3, all_records=3), None),
    "200": ({"ama_credits": "", "status": "active"}, None, None),
    "202": ({"action": "Update"}, None, None),
    "203": ({"title": ""}, None, None),
    "205": ({"start_date": "", "end_date": "", "credit_claim_date": ""}, None, None),
    "206": ({"moc": (MocInput("ABIM", "", ("Medical Knowledge",)),)}, None, None),
    "211": ({"format_name": ""}, None, None),
    "212": ({"providership": "", "status": "active"}, None, None),
    "214": ({**CLOSE, "providership": "joint", "commercial_support": "yes"}, None, None),
    "215": ({"end_date": "", "credit_claim_date": "", "status": "active"}, None, None),
    "216": ({"provider_activity_id": ""}, None, None),
    "302": ({"action": "Update", "accme_activity_id": "12345"}, None, None),
    "303": ({"title": LONG}, None, None),
    "304": ({"specialties": ("Astrology",)}, None, None),
    "305": ({"start_date": "2026-02-30"}, None, None),
    "306": ({"moc": (MocInput("ABIM", "many", ()),)}, None, None),
    "311": ({"format_name": "Podcast"}, None, None),
    "312": ({"providership": "sponsored"}, None, None),
    "314": ({"joint_providers": ("Lakeshore Society",)}, None, None),
    "315": ({"start_date": "30.01.2026"}, None, None),
    "316": ({"end_date": "next December"}, None, None),
    "319": ({"moc": (MocInput("ABIM", "2.1", ()),)}, None, None),
    "320": ({**UPDATE, "moc": ()}, existing(live_records=1, boards_with_records=frozenset({"ABIM"})), None),
    "321": ({**UPDATE, "rems": "no"}, existing(live_records=1, rems_records=1), None),
    "452": ({"reporting_year": "21"}, None, None),
    "456": ({"moc": (MocInput("ABX", "2", ()),)}, None, None),
    "457": ({"description": ""}, existing(), None),
    "458": ({"accme_activity_id": "299999999"}, None, None),
    "461": ({"start_date": "2024-03-01", "end_date": "2024-06-30", "credit_claim_date": ""}, None, None),
    "462": ({"reporting_year": "2025"}, None, None),
    "464": ({**UPDATE, "start_date": "2025-03-01", "end_date": "2025-12-20"}, existing(), None),
    "465": ({**UPDATE, "start_date": "2024-03-01", "end_date": "2024-06-30", "credit_claim_date": ""},
            existing(reporting_year=2024), None),
    "468": ({"ama_credits": "2.1"}, None, None),
    "469": ({"end_date": "2026-02-01"}, None, None),
    "475": ({"credit_claim_date": "2026-12-01"}, None, None),
    "476": ({"accme_activity_id": "200000001"}, existing(), None),
    "480": ({"rems": "maybe"}, None, None),
    "481": (UPDATE, existing(status="closed"), None),
    "483": ({"status": "closed", "physicians": "1", "other_learners": "0"}, None, None),
    "485": ({"template": "Template C"}, None, None),
    "486": ({**UPDATE, "format_name": "Manuscript Review"}, existing(live_records=2), None),
    "484": ({"moc": (MocInput("ABIM", "2", ()),)}, None, None),
    "490": ({"moc": (MocInput("ABPath", "2", ()),)}, None, None),
    "491": ({"moc": (MocInput("ABPath", "2", (), "Podiatry"),)}, None, None),
    "492": (DELETE, existing(all_records=4), None),
}  # fmt: skip


def codes_of(
    changes: dict[str, object], stored: ExistingActivity | None, taken: str | None
) -> list[str]:
    item = dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]
    return judge(item, lookups=LOOKUPS, existing=stored, taken_by=taken, today=TODAY).codes


@pytest.mark.parametrize("code", sorted(CASES))
def test_it_produces_each_appendix_a_code_through_its_rule(code: str) -> None:
    changes, stored, taken = CASES[code]
    assert code in codes_of(changes, stored, taken)


@pytest.mark.parametrize(
    "code", ["101", "102", "103", "104", "105", "106", "203", "304", "311", "461", "481", "492"]
)
def test_it_gives_only_that_code_when_only_that_is_wrong(code: str) -> None:
    changes, stored, taken = CASES[code]
    assert codes_of(changes, stored, taken) == [code]


@pytest.mark.parametrize("year", ["9999", "2032", "1900", "1989"])
def test_it_refuses_a_start_date_in_a_year_no_reporting_year_could_be(year: str) -> None:
    dates = {"start_date": f"{year}-01-05", "end_date": f"{year}-02-01", "credit_claim_date": ""}
    assert codes_of(dates, None, None) == ["305"]
    assert codes_of({**dates, "reporting_year": year}, None, None) == ["452"]


def test_it_takes_a_start_date_five_years_ahead() -> None:
    year = str(TODAY.year + 5)
    dates = {"start_date": f"{year}-01-05", "end_date": f"{year}-02-01", "credit_claim_date": ""}
    assert codes_of(dates, None, None) == []


@pytest.mark.parametrize("text", ["1e1", "+2", "1,5", "0x2", "²", " 2 2"])
def test_it_reads_credit_amounts_as_the_learner_engine_does(text: str) -> None:
    """One credit parser: what a learner's credits can't be, an activity's can't either."""
    assert parse_credits(text)[0] is None
    assert "468" in codes_of({"ama_credits": text}, None, None)
    assert "306" in codes_of({"moc": (MocInput("ABIM", text, ("Medical Knowledge",)),)}, None, None)


def test_it_accepts_the_valid_activity_as_active() -> None:
    judged = judge(BASE, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert judged.codes == []
    assert judged.clean.status == ActivityStatus.ACTIVE
    assert judged.clean.moc[0].credit_type_ids == [11]


def test_it_stores_an_ended_activity_as_ready_to_close() -> None:
    item = dataclasses.replace(BASE, end_date="2026-06-30", credit_claim_date="")
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert (judged.codes, judged.clean.status) == ([], ActivityStatus.READY_TO_CLOSE)


def test_it_keeps_a_new_activity_as_a_draft_when_it_lacks_what_active_needs() -> None:
    item = dataclasses.replace(BASE, description="", end_date="", credit_claim_date="")
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert (judged.codes, judged.clean.status) == ([], ActivityStatus.DRAFT)


def test_it_refuses_to_turn_an_activity_back_into_a_draft() -> None:
    item = dataclasses.replace(BASE, status="draft", **UPDATE)  # type: ignore[arg-type]
    judged = judge(item, lookups=LOOKUPS, existing=existing(), taken_by=None, today=TODAY)
    assert judged.codes == ["456"]
    assert "Draft" in judged.errors[0].message


def test_it_closes_an_ended_activity_with_its_counts() -> None:
    item = dataclasses.replace(BASE, **CLOSE)  # type: ignore[arg-type]
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert (judged.codes, judged.clean.status) == ([], ActivityStatus.CLOSED)
    assert (judged.clean.physician_count, judged.clean.other_learner_count) == (12, 3)


def test_it_closes_with_zero_learners() -> None:
    item = dataclasses.replace(BASE, **{**CLOSE, "physicians": "0", "other_learners": "0"})  # type: ignore[arg-type]
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert judged.codes == []


@pytest.mark.parametrize(
    ("missing", "code"),
    [("physicians", "457"), ("other_learners", "457"), ("commercial_support", "457")],
)
def test_it_names_what_closing_lacks(missing: str, code: str) -> None:
    item = dataclasses.replace(BASE, **{**CLOSE, missing: ""})  # type: ignore[arg-type]
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert judged.codes == [code, "483"]
    assert judged.errors[0].field == missing


def test_it_asks_for_the_location_of_courses_and_series_only() -> None:
    no_place = {"city": "", "state": "", "country": "", "status": "active"}
    course = dataclasses.replace(BASE, **no_place)  # type: ignore[arg-type]
    manuscript = dataclasses.replace(course, format_name="Manuscript Review")
    assert judge(course, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY).codes == [
        "457",
        "457",
    ]
    assert judge(manuscript, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY).codes == []


def test_it_reads_a_us_state_name_and_keeps_its_code() -> None:
    item = dataclasses.replace(BASE, state="Illinois")
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert judged.clean.state == "IL"


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"end_date": "02/30/2026"}, [("456", "end_date", "02/30/2026 (no such day)")]),
        ({"end_date": "2026-02-30"}, [("456", "end_date", "2026-02-30 (no such day)")]),
        ({"end_date": "next December"}, [("316", "end_date", "'next December'")]),
        # One date for both, as a course's in Template D: said once, as the start date.
        ({"start_date": "02/30/2026", "end_date": "02/30/2026"}, [("305", "start_date", "")]),
    ],
)
def test_it_says_an_end_date_that_is_no_day_once_and_in_words(
    dates: dict[str, str], expected: list[tuple[str, str, str]]
) -> None:
    item = dataclasses.replace(BASE, **dates)

    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)

    assert [(e.code, e.field) for e in judged.errors] == [(c, f) for c, f, _ in expected]
    for error, (_, _, said) in zip(judged.errors, expected, strict=True):
        assert said in error.message


@pytest.mark.parametrize(
    ("place", "fields"),
    [
        ({"city": "Chicago", "state": "x" * 300}, ["state"]),
        ({"city": "Chicago", "state": "x" * 300, "country": "CAN"}, ["state"]),
        ({"city": "C" * 101, "state": "IL"}, ["city"]),
        ({"city": "C" * 101, "state": "Nowhere"}, ["city", "state"]),
    ],
)
def test_it_puts_a_place_too_long_on_its_own_field(
    place: dict[str, str], fields: list[str]
) -> None:
    item = dataclasses.replace(BASE, **{"country": "USA", **place})

    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)

    assert [e.field for e in judged.errors] == fields
    assert all(e.code == "456" for e in judged.errors)


def test_it_ties_each_error_to_the_field_it_is_about() -> None:
    item = dataclasses.replace(
        BASE, title="", ama_credits="2.1", moc=(MocInput("ABIM", "x", ("Medical Knowledge",)),)
    )
    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)
    assert [(e.code, e.field) for e in judged.errors] == [
        ("203", "title"),
        ("468", "ama_credits"),
        ("306", "moc:ABIM:points"),
    ]


def test_it_uses_the_learners_reporting_window() -> None:
    # Completions of year Y are accepted until 31 March of Y+2; activities of Y the same.
    assert year_is_open(2025, today=date(2027, 3, 31))
    assert not year_is_open(2025, today=date(2027, 4, 1))


def test_it_answers_453_for_data_that_is_not_an_activity() -> None:
    with pytest.raises(ActivityDataError) as caught:
        parse_activity_xml("<ACCMELearnerReports/>")
    assert caught.value.error.code == "453"


def test_it_answers_454_for_two_activities_in_one_call() -> None:
    data = "<ACCMEActivities><MedicalEducationMetrics/><MedicalEducationMetrics/></ACCMEActivities>"
    with pytest.raises(ActivityDataError) as caught:
        parse_activity_xml(data)
    assert caught.value.error.code == "454"


def test_it_keys_duplicates_of_one_file_by_their_ids() -> None:
    # 477 itself comes from a whole batch: tests/activities/test_batch.py.
    assert duplicate_key(BASE) == duplicate_key(dataclasses.replace(BASE, title="Other"))
    assert ActivityRowResult(BASE).accepted


def test_it_keeps_the_stored_values_of_fields_a_layout_does_not_carry() -> None:
    stored = dataclasses.replace(BASE, url="https://example.org/a", moc=BASE.moc)
    partial = ActivityInput(title="New title", carried=frozenset({"title"}))
    merged = with_stored(partial, stored)
    assert (merged.title, merged.url, merged.moc) == (
        "New title",
        "https://example.org/a",
        BASE.moc,
    )


PRODUCED = {*CASES, "453", "454", "477"}


def test_it_lists_every_code_the_replica_produces() -> None:
    """Every code the activities app writes is in this table, so each has its test."""
    source = "".join(path.read_text() for path in ACTIVITIES_APP.glob("*.py"))
    found = set(re.findall(r'"(\d{3})"', source)) - {"999"}
    assert found - PRODUCED == set()


def test_it_names_an_overlong_id_by_its_start_in_every_message() -> None:
    item = dataclasses.replace(BASE, provider_activity_id="X" * 5000, url="not a url")

    judged = judge(item, lookups=LOOKUPS, existing=None, taken_by=None, today=TODAY)

    assert judged.errors
    assert all(len(e.message) < 400 for e in judged.errors), judged.errors
    assert any("X" * 60 + "…" in e.message for e in judged.errors)
