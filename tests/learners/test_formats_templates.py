"""Upload templates: untouched they hold no records; filled they read as rows."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.formats import FileFormatError, read_learner_file
from learners.formats.templates import filled_xlsx, text_template, xlsx_template
from learners.models import Board

pytestmark = pytest.mark.django_db


def validations(data: bytes) -> dict[str, str]:
    """Header of the validated column → the source formula of its drop-down."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = {cell.column_letter: cell.value for cell in sheet[2]}
    return {
        headers[str(v.sqref).split(":")[0].rstrip("0123456789")]: v.formula1
        for v in sheet.data_validations.dataValidation
    }


def values_of(workbook: Any, reference: str) -> list[str]:
    sheet_name, cells = reference.split("!")
    return [c.value for row in workbook[sheet_name][cells.replace("$", "")] for c in row]


def drop_downs(data: bytes) -> dict[str, list[str]]:
    """Header of a column with a fixed drop-down → the values it offers."""
    workbook = load_workbook(io.BytesIO(data))
    return {
        header: values_of(workbook, formula)
        for header, formula in validations(data).items()
        if "!" in formula
    }


def credit_types_offered(data: bytes, board: str) -> list[str]:
    """What a credit-type drop-down offers on a row whose Certifying Board is `board`.

    As Excel works it out: the source is INDIRECT("CreditTypes_" & the row's board cell), and
    that name is a range of the hidden Lists sheet.
    """
    workbook = load_workbook(io.BytesIO(data))
    formula = validations(data)["Credit Type"]
    match = re.fullmatch(r'INDIRECT\("(\w+)"&\$([A-Z]+)3\)', formula)
    assert match is not None, formula
    prefix, board_column = match.groups()
    assert workbook.worksheets[0][f"{board_column}2"].value == "Certifying Board"
    name = workbook.defined_names.get(prefix + board)
    return values_of(workbook, name.attr_text) if name else []


@pytest.mark.parametrize(("program", "columns"), [("board", BOARD_COLUMNS), ("rems", REMS_COLUMNS)])
def test_it_reads_the_untouched_templates_as_no_records(program: str, columns: tuple) -> None:
    assert text_template(program).decode("utf-8-sig").split("\t")[0] == "Record Action"
    csv_template = text_template(program, file_type="csv")
    assert csv_template.decode("utf-8-sig").split(",")[0] == "Record Action"
    for data, file_type in (
        (text_template(program), "txt"),
        (csv_template, "csv"),
        (xlsx_template(program), "xlsx"),
    ):
        with pytest.raises(FileFormatError, match="contains no learner records"):
            read_learner_file(data, file_type=file_type, program=program)


def test_it_offers_the_board_drop_downs_from_the_reference_tables() -> None:
    lists = drop_downs(xlsx_template())

    assert lists["Record Action"] == ["Add", "Delete"]
    assert lists["Certifying Board"] == list(Board.objects.values_list("code", flat=True))
    assert "IL" in lists["Licensing State"] and len(lists["Licensing State"]) == 51
    assert "Credit Type" not in lists  # it depends on the row's board: see below


def test_it_offers_only_the_boards_own_credit_types_on_each_row() -> None:
    data = xlsx_template()

    for board in Board.objects.all():
        expected = sorted(board.credit_types.values_list("name", flat=True))
        assert credit_types_offered(data, board.code) == expected, board.code
    assert credit_types_offered(data, "ABIM") == [
        "Medical Knowledge",
        "Patient Safety",
        "Practice Assessment",
    ]
    assert "Quality Improvement" not in credit_types_offered(data, "ABIM")
    # No board chosen: the source names no range, so Excel offers nothing to pick.
    assert credit_types_offered(data, "") == []
    sources = validations(data)
    assert sources["Additional Credit Type"] == sources["Credit Type"]


def test_it_offers_a_new_board_without_a_code_change() -> None:
    board = Board.objects.create(code="ABFM", name="American Board of Family Medicine")
    board.credit_types.create(name="Knowledge Self-Assessment")

    data = xlsx_template()
    assert "ABFM" in drop_downs(data)["Certifying Board"]
    assert credit_types_offered(data, "ABFM") == ["Knowledge Self-Assessment"]


def test_it_offers_the_rems_drop_downs() -> None:
    lists = drop_downs(xlsx_template("rems"))

    assert "Advanced practice nurse" in lists["Profession"]
    assert "Hospice and/or Palliative Care" in lists["Practice Area"]
    assert lists["DEA Registration"] == ["Individual", "Institutional", "None"]
    assert lists["Time in Practice"][0] == "Trainee"
    assert lists["Performs Surgical Procedures"] == ["Y", "N"]


def test_it_has_a_guidance_row_above_the_header() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_template())).worksheets[0]

    assert sheet["A1"].value == "Add or Delete"
    assert [c.value for c in sheet[2]] == [title for _, title in BOARD_COLUMNS]


def test_it_reads_a_filled_template_as_rows() -> None:
    data = filled_xlsx(
        [
            ["Add", "210015516", date(2025, 7, 6), "Jane", "ACCME", "10/30", "IL", "036999902", 2],
            ["Delete", "210015527", date(2026, 8, 1), "Zoë", "Muñoz", "3/7", "", "", 0.25],
        ]
    )

    rows = read_learner_file(data, file_type="xlsx")

    assert [r.row_number for r in rows] == [3, 4]
    assert rows[0].values()[:9] == [
        "Add",
        "210015516",
        "07/06/2025",
        "Jane",
        "ACCME",
        "10/30",
        "IL",
        "036999902",
        "2",
    ]
    assert (rows[1].first_name, rows[1].birth_date, rows[1].cme_credits) == ("Zoë", "3/7", "0.25")


def test_it_reads_a_filled_rems_template_as_rows() -> None:
    data = filled_xlsx(
        [
            [
                "Add",
                "210015525",
                date(2026, 10, 15),
                "L-1",
                "Physician",
                "Pain",
                "None",
                "MI",
                "Trainee",
                "Y",
            ]
        ],
        "rems",
    )

    (row,) = read_learner_file(data, file_type="xlsx", program="rems")

    assert (row.learner_local_id, row.practice_state, row.performs_surgery) == ("L-1", "MI", "Y")
