"""Which cells a code is about: one table for manual entry and the in-browser fix of rows."""

from __future__ import annotations

import pytest

from learners.engine.code_fields import CODE_FIELDS, HEADERS, ROW_CODES, fields_at_fault
from learners.engine.codes import LEARNER_CODES, error
from learners.engine.results import RowError
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS

# Codes the engine never produces (README: "not produced"), so no screen shows them.
NOT_PRODUCED = {"713", "723", "724", "725", "726", "727", "729", "730", "731", "732", "733",
                "734", "736"}  # fmt: skip


def at_fault(err: RowError, program: str = "board", **values: str) -> tuple[str, ...]:
    columns = REMS_COLUMNS if program == "rems" else BOARD_COLUMNS
    return fields_at_fault(err, values, columns=columns)


def test_it_places_every_code_the_engine_produces_on_columns_or_on_the_row() -> None:
    produced = {code.code for code in LEARNER_CODES} - NOT_PRODUCED

    assert produced - CODE_FIELDS.keys() - ROW_CODES == set()
    assert CODE_FIELDS.keys() & ROW_CODES == set()
    columns = {name for name, _ in (*BOARD_COLUMNS, *REMS_COLUMNS)}
    assert {f for fields in CODE_FIELDS.values() for f in fields} <= columns


@pytest.mark.parametrize(
    ("err", "fields"),
    [
        (error("622"), ("first_name",)),
        (error("671", value="13/45/2026"), ("completion_date",)),
        (error("720", state="IL", license_id=""), ("licensing_state", "license_id")),
        (error("690", activity_id="999"), ("activity_id",)),
        (error("603", credit_id="X", previous="row 2"), ()),
        (error("664", birth_date="01/01", board="ABIM", board_id="1"), ("birth_date", "board_id")),
    ],
)
def test_it_maps_a_code_to_its_columns(err: RowError, fields: tuple[str, ...]) -> None:
    assert at_fault(err) == fields


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Total Board Credits", "board_points"),
        ("Credits Awarded for Credit Type", "credit_type_points"),
        ("Credits Awarded for Additional Credit Type", "additional_credit_type_points"),
    ],
)
def test_it_keeps_the_column_a_points_message_names(label: str, field: str) -> None:
    invalid = error("673", field=label, value="x", reason="a number above 0")
    steps = error("675", field=label, value="1.3")

    assert at_fault(invalid) == at_fault(steps) == (field,)


def test_it_keeps_the_points_columns_when_the_message_names_none() -> None:
    xml = error("632", board="ABIM", field="numberOfCredits")

    assert at_fault(xml) == CODE_FIELDS["632"]


def test_it_names_the_total_not_the_credit_type_when_the_sum_is_over() -> None:
    reason = "the credit type points add up to 3, more than the Total Board Credits"
    err = error("673", field="Total Board Credits", value="2", reason=reason)

    assert at_fault(err) == ("board_points",)


def test_it_keeps_the_credit_type_cell_holding_the_type_not_allowed() -> None:
    err = error("735", value="Lifelong Learning", board="ABIM", activity_id="210015516")

    found = at_fault(
        err, credit_type="Medical Knowledge", additional_credit_type="lifelong learning "
    )

    assert found == ("additional_credit_type",)


def test_it_keeps_the_patient_safety_cell_for_680() -> None:
    err = error("680", board="ABIM", activity_id="210015516")

    assert at_fault(err, credit_type="ABIM Patient Safety") == ("credit_type",)
    assert at_fault(err) == ("credit_type", "additional_credit_type")  # neither holds it


@pytest.mark.parametrize(
    ("identity", "fields"),
    [
        ("NPI 1234567893 is not in the directory", ("license_id",)),
        ("'1234567890' is not a valid NPI (its check digit is wrong)", ("license_id",)),
        ("IL licence 036123456 is not in the directory", ("licensing_state", "license_id")),
        (
            "the name or date of birth does not match NPI 1234567893",
            ("first_name", "last_name", "birth_date"),
        ),
        (
            "give an NPI, a licence or a Certifying Board ID",
            ("licensing_state", "license_id", "board", "board_id"),
        ),
    ],
)
def test_it_narrows_718_to_what_did_not_match(identity: str, fields: tuple[str, ...]) -> None:
    assert at_fault(error("718", identity=identity)) == fields


@pytest.mark.parametrize(
    ("err", "field"),
    [
        (error("714", field="Profession"), "profession"),
        (error("714", field="Learner Local ID"), "learner_local_id"),
        (error("715", field="Practice Area", value="Astrology", allowed="Pain, Other"), "practice_area"),
        (error("715", field="State of Primary Practice", value="ZZ", allowed="IL"), "practice_state"),
    ],
)  # fmt: skip
def test_it_keeps_the_rems_column_a_message_names(err: RowError, field: str) -> None:
    assert at_fault(err, program="rems") == (field,)


def test_it_leaves_out_columns_the_program_has_not() -> None:
    assert at_fault(error("709", activity_id="1", completion_date="x"), program="rems") == (
        "activity_id",
        "completion_date",
        "learner_local_id",
    )
    assert at_fault(error("622"), program="rems") == ()


def test_it_knows_every_header_of_both_layouts() -> None:
    assert HEADERS["credit_type"] == "Credit Type"
    assert HEADERS["performs_surgery"] == "Performs Surgical Procedures"
