"""Each PARS code of SPEC §3 from a minimal row, and valid rows that collect none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from activities.models import Activity, MocRegistration
from learners.engine.facts import ActivityFacts, BoardFacts, Judgement, MocFacts, RuleContext
from learners.engine.npi import make_npi
from learners.engine.rows import LearnerRow
from learners.engine.rules import judge_fields, lacks_for_learners
from learners.engine.services import learner_rows_validate
from learners.models import Board, CreditType, RecordStatus
from portal.models import Provider
from tests.factories import ActivityFactory, CompletionRecordFactory, LearnerFactory

TODAY = date(2026, 11, 22)
JANE_NPI = make_npi("300000001")
UNKNOWN_NPI = make_npi("399999999")


@dataclass
class World:
    provider: Provider
    activities: dict[str, Activity]
    jane: Any
    twins: tuple[Any, Any]


def _activity(provider: Provider, **kwargs: Any) -> Activity:
    defaults = {
        "start_date": date(2026, 9, 1),
        "end_date": date(2026, 12, 31),
        "credit_claim_date": date(2027, 3, 31),
        "ama_credits": Decimal("10"),
    }
    return ActivityFactory(provider=provider, **{**defaults, **kwargs})


@pytest.fixture
def world(provider: Provider, other_provider: Provider) -> World:
    return build_world(provider, other_provider)


def build_world(provider: Provider, other_provider: Provider) -> World:
    """Activities of every kind the rules tell apart, Jane O'Keeffe and two indistinct twins."""
    abp_qi = _activity(provider)
    registration = MocRegistration.objects.create(
        activity=abp_qi, board=Board.objects.get(code="ABP"), points=Decimal("5")
    )
    registration.credit_types.set(
        CreditType.objects.filter(board__code="ABP", name="Quality Improvement")
    )
    activities = {
        "cme": _activity(provider),
        "moc": _activity(provider, boards={"ABIM": "10"}),
        # A draft without its credits or providership takes no learners; one with them does.
        "draft": _activity(provider, status=Activity.Status.DRAFT, ama_credits=None),
        "draft_ready": _activity(provider, status=Activity.Status.DRAFT, providership="direct"),
        "closed": _activity(provider, status=Activity.Status.CLOSED),
        "rems": _activity(provider, rems_registered=True),
        "norepeat": _activity(provider, boards={"ABIM": "10"}, repeat_participation=False),
        "old": _activity(
            provider,
            start_date=date(2024, 2, 1),
            end_date=date(2024, 12, 31),
            credit_claim_date=date(2026, 12, 31),
        ),
        "claimed": _activity(
            provider,
            start_date=date(2026, 1, 10),
            end_date=date(2026, 2, 10),
            credit_claim_date=date(2026, 3, 10),
        ),
        "abp_qi": abp_qi,
        "foreign": _activity(other_provider),
    }
    jane = LearnerFactory(
        first_name="Jane",
        last_name="O'Keeffe",
        birth_month=5,
        birth_day=17,
        npi=JANE_NPI,
        license=("IL", "IL123"),
        board_ids={"ABIM": "1001", "ABP": "P1001"},
    )
    twins = (
        LearnerFactory(first_name="Sam", last_name="Twin", birth_month=2, birth_day=3,
                       license=("OH", "OH1"), board_ids={"ABIM": "T1"}),
        LearnerFactory(first_name="Sam", last_name="Twin", birth_month=2, birth_day=3,
                       license=("OH", "OH2"), board_ids={"ABIM": "T2"}),
    )  # fmt: skip
    return World(provider=provider, activities=activities, jane=jane, twins=twins)


CME = {
    "record_action": "Add",
    "activity_id": "cme",
    "completion_date": "10/01/2026",
    "first_name": "Jane",
    "last_name": "O'Keeffe",
    "birth_date": "05/17",
    "licensing_state": "IL",
    "license_id": "IL123",
    "cme_credits": "2",
}
MOC = {
    "record_action": "Add",
    "activity_id": "moc",
    "completion_date": "10/01/2026",
    "first_name": "Jane",
    "last_name": "O'Keeffe",
    "birth_date": "05/17",
    "board": "ABIM",
    "board_id": "1001",
    "board_points": "2",
    "credit_type": "Medical Knowledge",
    "credit_type_points": "2",
}
REMS = {
    "record_action": "Add",
    "activity_id": "rems",
    "completion_date": "10/01/2026",
    "learner_local_id": "LMS-42",
    "profession": "Physician",
    "practice_area": "Pain",
    "dea_registration": "Individual",
    "practice_state": "IL",
    "time_in_practice": "6-10 years",
    "performs_surgery": "N",
}


def make_row(world: World, base: dict[str, str], row_number: int = 1, **changes: str) -> LearnerRow:
    """A LearnerRow from `base` + `changes`; an activity_id naming a world activity is resolved."""
    fields = {**base, **changes}
    activity = world.activities.get(fields.get("activity_id", ""))
    if activity is not None:
        fields["activity_id"] = activity.activity_id
    return LearnerRow(row_number=row_number, **fields)


def judge(world: World, rows: list[LearnerRow], program: str = "board") -> list[set[str]]:
    results = learner_rows_validate(
        provider=world.provider, rows=rows, program=program, today=TODAY
    )
    return [{e.code for e in r.errors} for r in results]


def _record(world: World, activity: str, **kwargs: Any) -> None:
    CompletionRecordFactory(
        activity=world.activities[activity],
        provider=world.provider,
        learner=kwargs.pop("learner", world.jane),
        **kwargs,
    )


Setup = Callable[[World], None] | None


@dataclass(frozen=True)
class Case:
    code: str
    base: dict[str, str]
    changes: dict[str, str]
    setup: Setup = None
    program: str = "board"


CASES = [
    Case("601", CME, {"record_action": ""}),
    Case("602", CME, {"record_action": "Update"}),
    Case("603", CME, {"credit_id": "LMS-1"},
         lambda w: _record(w, "cme", credit_id="LMS-1", completion_date=date(2026, 9, 5))),
    Case("605", CME, {"record_action": "Delete", "credit_id": "nope"}),
    Case("606", MOC, {"record_action": "Delete"}),
    Case("621", MOC, {"board_id": "", "license_id": "IL123", "licensing_state": "IL"}),
    Case("622", CME, {"first_name": ""}),
    Case("623", CME, {"last_name": " "}),
    Case("624", CME, {"birth_date": ""}),
    Case("630", CME, {"activity_id": ""}),
    Case("631", CME, {"completion_date": ""}),
    Case("632", MOC, {"board_points": "", "credit_type": "", "credit_type_points": ""}),
    Case("661", MOC, {"board_id": "9999"}),
    Case("664", MOC, {"birth_date": "05/18"}),
    Case("665", MOC, {"first_name": "Janet"}),
    Case("670", MOC, {"activity_id": "cme"}),
    Case("671", CME, {"completion_date": "13/45/2026"}),
    Case("672", CME, {"completion_date": "08/31/2026"}),
    Case("673", MOC, {"board_points": "two", "credit_type": "", "credit_type_points": ""}),
    Case("674", MOC, {"board_points": "11", "credit_type_points": "11"}),
    Case("675", MOC, {"board_points": "1.1", "credit_type": "", "credit_type_points": ""}),
    Case("690", CME, {"activity_id": "foreign"}),
    Case("705", CME, {"activity_id": "old", "completion_date": "06/01/2024"}),
    Case("706", CME, {"record_action": "Delete", "activity_id": "old", "completion_date": "06/01/2024"}),
    Case("709", CME, {}, lambda w: _record(w, "cme", completion_date=date(2026, 10, 1))),
    Case("714", REMS, {"profession": ""}, program="rems"),
    Case("715", REMS, {"profession": "Astronaut"}, program="rems"),
    Case("716", REMS, {"activity_id": "cme"}, program="rems"),
    Case("718", CME, {"licensing_state": "", "license_id": UNKNOWN_NPI}),
    Case("719", CME, {"birth_date": "13/01"}),
    Case("720", CME, {"license_id": ""}),
    Case("721", CME, {"licensing_state": "Atlantis"}),
    Case("722", CME, {"cme_credits": "0.3"}),
    Case("728", MOC, {"board": "ABXX"}),
    Case("735", MOC, {"activity_id": "abp_qi", "board": "ABP", "board_id": "P1001",
                      "credit_type": "Lifelong Learning and Self-Assessment"}),
    Case("737", CME, {"first_name": "Sam", "last_name": "Twin", "birth_date": "02/03",
                      "licensing_state": "OH", "license_id": "OH1", "board": "ABIM",
                      "board_id": "T2", "board_points": "1", "activity_id": "moc"}),
    Case("747", CME, {"activity_id": "claimed", "completion_date": "04/01/2026"}),
    Case("748", CME, {"cme_credits": "10.25"}),
    Case("749", CME, {"activity_id": "draft"}),
    Case("750", CME, {"completion_date": "12/01/2026"}),
    Case("751", MOC, {"activity_id": "norepeat"},
         lambda w: _record(w, "norepeat", completion_date=date(2026, 9, 15))),
    Case("998", CME, {"last_name": "O'Ke\x00effe"}),
    Case("998", MOC, {"board_id": "A1\n001"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])
def test_it_produces_each_code_from_a_minimal_row(world: World, case: Case) -> None:
    if case.setup:
        case.setup(world)
    [codes] = judge(world, [make_row(world, case.base, **case.changes)], program=case.program)
    assert codes == {case.code}


def test_it_produces_717_for_a_second_moc_completion_in_one_batch(world: World) -> None:
    rows = [make_row(world, MOC, 1), make_row(world, MOC, 2)]
    assert judge(world, rows) == [set(), {"717"}]


VALID = {
    "cme-licence": (CME, {}),
    "cme-npi": (CME, {"licensing_state": "", "license_id": JANE_NPI}),
    "cme-npi-with-state": (CME, {"license_id": JANE_NPI}),
    "moc-board-id": (MOC, {}),
    "cme-and-moc": (MOC, {"licensing_state": "Illinois", "license_id": "il123", "cme_credits": "1.5"}),
    "xml-npi": (MOC, {"npi": JANE_NPI, "board": "", "board_id": "", "board_points": "",
                      "credit_type": "", "credit_type_points": "", "cme_credits": "0.25",
                      "completion_date": "2026-10-01T00:00:00", "birth_date": "1970-05-17"}),
    "two-credit-types": (MOC, {"credit_type_points": "1", "additional_credit_type": "patient safety",
                               "additional_credit_type_points": "1"}),
    "name-spelling": (CME, {"first_name": " JANE ", "last_name": "okeeffe", "birth_date": "5/17"}),
    # Line breaks and tabs around a value are whitespace, stripped like spaces: not 998.
    "whitespace-around-values": (CME, {"first_name": "\tJane\r\n", "license_id": "\nIL123\t"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(VALID))
def test_it_accepts_a_valid_row(world: World, name: str) -> None:
    base, changes = VALID[name]
    [codes] = judge(world, [make_row(world, base, **changes)])
    assert codes == set()


def test_it_accepts_a_learner_on_a_draft_that_has_what_learners_need(world: World) -> None:
    # Draft only for want of a description: its dates, credits and providership are there.
    [codes] = judge(world, [make_row(world, CME, activity_id="draft_ready")])
    assert codes == set()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"end_date": None, "credit_claim_date": None}, ["end date", "credit claim date"]),
        ({"credit_claim_date": None}, ["credit claim date"]),
        ({"ama_credits": None}, ["AMA PRA Category 1 credits"]),
        ({"providership": ""}, ["providership"]),
        ({}, []),
    ],
)
def test_it_names_what_a_draft_lacks_for_learners(
    missing: dict[str, object], named: list[str]
) -> None:
    draft = replace(_pure_activity(status="draft", providership="joint"), **missing)  # type: ignore[arg-type]
    assert lacks_for_learners(draft) == named
    # Only a draft is judged so: later statuses require all of it when they are saved.
    assert lacks_for_learners(replace(draft, status="active")) == []


def test_it_names_what_the_draft_lacks_in_749(world: World) -> None:
    [result] = learner_rows_validate(
        provider=world.provider, rows=[make_row(world, CME, activity_id="draft")],
        program="board", today=TODAY,
    )  # fmt: skip
    [message] = [e.message for e in result.errors if e.code == "749"]
    assert "a draft without its AMA PRA Category 1 credits, providership" in message


def test_it_refuses_a_learner_on_a_closed_activity(world: World) -> None:
    # SPEC §4b: a closed activity has reported its learner counts; no learner comes after it.
    [codes] = judge(world, [make_row(world, CME, activity_id="closed")])
    assert codes == {"481"}


def test_it_accepts_a_valid_rems_row(world: World) -> None:
    row = make_row(world, REMS, profession="physician assistant", performs_surgery="yes")
    assert judge(world, [row], program="rems") == [set()]


def test_it_collects_several_codes_on_one_row(world: World) -> None:
    row = make_row(
        world, CME, first_name="", birth_date="02/30", completion_date="12/01/2026", cme_credits="x"
    )
    assert judge(world, [row]) == [{"622", "719", "750", "722"}]


def test_it_skips_activity_dependent_checks_when_the_activity_does_not_exist(world: World) -> None:
    row = make_row(world, MOC, activity_id="999999999", completion_date="01/01/2026")
    assert judge(world, [row]) == [{"690"}]


def test_it_names_the_field_and_value_in_messages(world: World) -> None:
    row = make_row(world, CME, completion_date="13/45/2026")
    [result] = learner_rows_validate(provider=world.provider, rows=[row], today=TODAY)
    assert result.errors[0].message == (
        "Completion Date '13/45/2026' is not a valid date (use MM/DD/YYYY)."
    )


def test_it_names_the_rems_field_that_is_missing(world: World) -> None:
    row = make_row(world, REMS, dea_registration="", time_in_practice="forever")
    [result] = learner_rows_validate(
        provider=world.provider, rows=[row], program="rems", today=TODAY
    )
    messages = {e.code: e.message for e in result.errors}
    assert "DEA Registration" in messages["714"]
    assert "Time in Practice" in messages["715"] and "forever" in messages["715"]


def test_it_rejects_credit_type_points_that_exceed_the_total(world: World) -> None:
    row = make_row(world, MOC, board_points="2", credit_type_points="1.5",
                   additional_credit_type="Patient Safety", additional_credit_type_points="1")  # fmt: skip
    [codes] = judge(world, [row])
    assert codes == {"673"}


def test_it_rejects_a_learner_whose_board_id_belongs_to_someone_else(world: World) -> None:
    twin_a, _ = world.twins
    row = make_row(world, MOC, board_id="T1")  # Jane's name, Sam's board id
    [codes] = judge(world, [row])
    assert codes == {"664", "665"}
    assert twin_a.pk


def test_it_treats_a_delete_of_a_deleted_record_as_done(world: World) -> None:
    _record(world, "cme", credit_id="LMS-9", status=RecordStatus.DELETED)
    row = make_row(world, CME, record_action="delete", credit_id="LMS-9")
    assert judge(world, [row]) == [set()]


# -- the rules are pure: a hand-built context, no database ----------------------------------------


def _pure_activity(status: str = "active", providership: str = "") -> ActivityFacts:
    return ActivityFacts(
        pk=7, activity_id="200000007", status=status, start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31), credit_claim_date=date(2027, 3, 31),
        ama_credits=Decimal("4"), rems_registered=False, repeat_participation=True,
        moc={"ABIM": MocFacts(board_pk=1, points=Decimal("4"), credit_types=frozenset({"Medical Knowledge"}))},
        providership=providership,
    )  # fmt: skip


def _pure_context() -> RuleContext:
    board = BoardFacts(pk=1, code="ABIM", credit_types={"medical knowledge": "Medical Knowledge"})
    activity = _pure_activity()
    return RuleContext(
        today=TODAY, program="board", boards={"abim": board}, activities={"200000007": activity}
    )


def test_it_judges_fields_without_touching_the_database() -> None:
    # No db fixture here: any query would raise.
    row = LearnerRow(
        row_number=3, record_action="ADD", activity_id="200000007", completion_date="3/5/2026",
        first_name="A", last_name="B", birth_date="1/2", board="abim", board_id="X",
        board_points="4.5", credit_type="ABIM Medical Knowledge", credit_type_points="4",
        cme_credits="4",
    )  # fmt: skip
    j = Judgement(row=row, credit_id="R3", credit_id_generated=True)
    judge_fields(j, _pure_context())
    assert j.codes() == {"674"}
    assert j.credits == [("Medical Knowledge", Decimal("4"))]
    assert j.identity is not None and j.identity.board == (1, "X")


def test_it_reads_a_ten_digit_non_npi_as_a_licence() -> None:
    row = replace(
        LearnerRow(row_number=1, record_action="Add", activity_id="200000007"),
        completion_date="03/05/2026", first_name="A", last_name="B", birth_date="01/02",
        licensing_state="TX", license_id="1234567890", cme_credits="1",
    )  # fmt: skip
    j = Judgement(row=row, credit_id="R1", credit_id_generated=True)
    judge_fields(j, _pure_context())
    assert (j.npi, j.state, j.license_id) == ("", "TX", "1234567890")
    assert j.identity is not None and j.identity.licence == ("TX", "1234567890")
