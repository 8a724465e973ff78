"""Matching learners against the directory: the Learner Match count and the bulk index."""

from __future__ import annotations

from typing import Any

import pytest

from learners.engine.matching import DirectoryIndex, Identity, MatchCriteria, learner_match
from learners.engine.names import name_key
from learners.engine.npi import make_npi
from learners.models import Board, Learner
from learners.sandbox import physician_specs, seed_directory
from tests.factories import LearnerFactory


def learner_match_count(*, board: str = "", board_id: str = "", **facts: Any) -> int:
    """The count the engine's Learner Match answers (the screen and the web service alike)."""
    board_ids = ((board, board_id),) if board or board_id else ()
    return learner_match(MatchCriteria(board_ids=board_ids, **facts)).count


pytestmark = pytest.mark.django_db

NPI = make_npi("400000001")


@pytest.fixture
def muñoz() -> Learner:
    return LearnerFactory(
        first_name="Zoë",
        last_name="Muñoz-O'Keeffe",
        birth_month=4,
        birth_day=9,
        npi=NPI,
        medical_school="Coastal Medical College",
        license=("IL", "IL777"),
        board_ids={"ABIM": "555"},
    )


def test_it_counts_one_learner_for_a_name_and_an_id(muñoz: Learner) -> None:
    assert learner_match_count(first_name="Zoë", last_name="Muñoz-O'Keeffe", npi=NPI) == 1
    assert (
        learner_match_count(
            first_name="Zoë",
            last_name="Muñoz-O'Keeffe",
            licensing_state="Illinois",
            license_id="il777",
        )
        == 1
    )
    assert (
        learner_match_count(
            first_name="Zoë", last_name="Muñoz-O'Keeffe", board="abim", board_id="555"
        )
        == 1
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("zoe", "munozokeeffe"),
        ("ZOË", "MUÑOZ O'KEEFFE"),
        (" Zoe ", "Munoz O Keeffe"),
        ("Zoë", "Muñoz-O\u2019Keeffe"),  # a typographic apostrophe
        ("zoë", "muñoz-o`keeffe"),
    ],
)
def test_it_ignores_accents_case_spaces_hyphens_and_apostrophes(
    muñoz: Learner, first: str, last: str
) -> None:
    assert learner_match_count(first_name=first, last_name=last, birth_month=4, birth_day=9) == 1


@pytest.mark.parametrize("field", ["first_name", "last_name", "npi"])
def test_it_counts_zero_for_a_value_holding_a_control_character(muñoz: Learner, field: str) -> None:
    facts = {"first_name": "Zoë", "last_name": "Muñoz-O'Keeffe", "npi": NPI}
    facts[field] = facts[field][:2] + "\t" + facts[field][2:]

    answer = learner_match(MatchCriteria(**facts))

    assert answer.count == 0
    assert [p.field for p in answer.problems] == [field]
    assert "control character (U+0009)" in answer.reasons[0]


def test_it_counts_zero_when_a_fact_differs(muñoz: Learner) -> None:
    name = {"first_name": "Zoë", "last_name": "Muñoz-O'Keeffe"}
    assert learner_match_count(**name, birth_month=4, birth_day=10) == 0
    assert learner_match_count(**name, npi=make_npi("400000002")) == 0
    assert learner_match_count(**name, licensing_state="OH", license_id="IL777") == 0
    assert learner_match_count(**name, board="ABP", board_id="555") == 0
    assert learner_match_count(**name, medical_school="Prairie State College of Medicine") == 0
    assert learner_match_count(first_name="Zoey", last_name="Muñoz-O'Keeffe", npi=NPI) == 0


def test_it_counts_zero_for_too_few_facts(muñoz: Learner) -> None:
    assert learner_match_count(first_name="Zoë", last_name="Muñoz-O'Keeffe") == 0
    assert learner_match_count(first_name="", last_name="Muñoz-O'Keeffe", npi=NPI) == 0
    assert learner_match_count(first_name="Zoë", last_name="Muñoz-O'Keeffe", board="ABIM") == 0


def test_it_counts_many_learners_sharing_name_and_birthday() -> None:
    for n in range(3):
        LearnerFactory(first_name="Ana", last_name="Lima", birth_month=1, birth_day=2,
                       license=("IL", f"L{n}"))  # fmt: skip
    assert learner_match_count(first_name="Ana", last_name="Lima", birth_month=1, birth_day=2) == 3
    assert learner_match_count(first_name="ana", last_name="LIMA", license_id="L1",
                               licensing_state="IL") == 1  # fmt: skip


def test_it_finds_the_sandbox_twins() -> None:
    seed_directory()
    specs = physician_specs()
    twin = specs[20]  # every 20th physician shares a name and birthday with another
    count = learner_match_count(
        first_name=twin.first_name,
        last_name=twin.last_name,
        birth_month=twin.birth_month,
        birth_day=twin.birth_day,
    )
    assert count >= 2
    assert (
        learner_match_count(first_name=twin.first_name, last_name=twin.last_name, npi=twin.npi) == 1
    )


def _identity(learner: Learner, **kwargs: Any) -> Identity:
    return Identity(
        first_key=name_key(learner.first_name),
        last_key=name_key(learner.last_name),
        birth=(learner.birth_month, learner.birth_day),
        name=f"{learner.first_name} {learner.last_name}",
        **kwargs,
    )


def test_it_builds_the_index_with_one_query(muñoz: Learner, django_assert_num_queries: Any) -> None:
    abim = Board.objects.get(code="ABIM").pk
    with django_assert_num_queries(1):
        index = DirectoryIndex.build(
            npis=[NPI, make_npi("400000009")],
            licences=[("IL", "il777")],
            board_ids=[(abim, "555"), (abim, "nope")],
        )
    assert index.match(_identity(muñoz, npi=NPI)) == (muñoz.pk, [])
    assert index.match(_identity(muñoz, licence=("IL", "IL777"))) == (muñoz.pk, [])
    assert index.match(_identity(muñoz, board=(abim, "555"), board_code="ABIM")) == (muñoz.pk, [])


def test_it_explains_why_nobody_matched(muñoz: Learner) -> None:
    abim = Board.objects.get(code="ABIM").pk
    index = DirectoryIndex.build(npis=[NPI], board_ids=[(abim, "555"), (abim, "404")])
    wrong_birthday = Identity(
        first_key="zoe", last_key="munozokeeffe", birth=(4, 10), board=(abim, "555"),
        board_code="ABIM",
    )  # fmt: skip
    assert [e.code for e in index.match(wrong_birthday)[1]] == ["664"]
    unknown = _identity(muñoz, board=(abim, "404"), board_code="ABIM")
    [problem] = index.match(unknown)[1]
    assert problem.code == "661" and "404" in problem.message and "ABIM" in problem.message
    renamed = Identity(first_key="zoey", last_key="munozokeeffe", birth=(4, 9), npi=NPI)
    assert [e.code for e in index.match(renamed)[1]] == ["718"]


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"npi": "1234567890"}, "NPI '1234567890' is not a valid NPI"),
        ({"birth_month": 2, "birth_day": 31}, "Month 2, day 31 is not a date of birth."),
        ({"birth_month": 13, "birth_day": 1}, "Month 13, day 1 is not a date of birth."),
        ({"birth_day": 9}, "The birth month and the birth day go together."),
        ({"license_id": "IL777"}, "The licensing state and the licensing ID go together."),
        ({"licensing_state": "ZZ", "license_id": "1"}, "Licensing state 'ZZ' is not a US state."),
        ({"board_ids": (("ABXX", "555"),)}, "Certifying board 'ABXX' is unknown."),
    ],
)
def test_it_counts_zero_and_says_why_for_values_that_cannot_match(
    muñoz: Learner, facts: dict[str, Any], reason: str
) -> None:
    answer = learner_match(MatchCriteria(first_name="Zoë", last_name="Muñoz-O'Keeffe", **facts))

    assert (answer.count, answer.well_formed) == (0, True)
    assert any(reason in said for said in answer.reasons)


def test_it_says_a_request_without_a_fact_is_no_question(muñoz: Learner) -> None:
    answer = learner_match(MatchCriteria(first_name="Zoë", last_name=""))

    assert answer.well_formed is False
    assert answer.reasons[0] == "Give the last name."


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"npi": "1234567890"}, "npi"),
        ({"birth_month": 2, "birth_day": 31}, "birth_day"),
        ({"birth_day": 9}, "birth_month"),
        ({"birth_month": 9}, "birth_day"),
        ({"license_id": "IL777"}, "licensing_state"),
        ({"licensing_state": "IL"}, "license_id"),
        ({"licensing_state": "ZZ", "license_id": "1"}, "licensing_state"),
        ({"board_ids": (("ABXX", "555"),)}, "board"),
        ({"board_ids": (("ABIM", ""),)}, "board_id"),
        ({"board_ids": (("", "555"),)}, "board"),
    ],
)
def test_it_names_the_criterion_each_reason_is_about(
    muñoz: Learner, facts: dict[str, Any], field: str
) -> None:
    """The Learner Match screen shows a reason beside the field it concerns."""
    answer = learner_match(MatchCriteria(first_name="Zoë", last_name="Muñoz-O'Keeffe", **facts))

    assert answer.count == 0
    assert [problem.field for problem in answer.problems] == [field]


def test_it_says_no_one_has_all_of_these_without_naming_a_criterion(muñoz: Learner) -> None:
    answer = learner_match(
        MatchCriteria(first_name="Zoë", last_name="Muñoz-O'Keeffe", npi="1234567893")
    )

    assert answer.count == 0
    assert [(p.field, p.message) for p in answer.problems] == [
        ("", "No physician in the directory has all of these.")
    ]
