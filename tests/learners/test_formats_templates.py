"""Upload templates: untouched they hold no records; filled they read as rows."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.formats import FileFormatError, read_learner_file
from learners.formats.templates import filled_xlsx, txt_template, xlsx_template
from learners.models import Board

pytestmark = pytest.mark.django_db


def drop_downs(data: bytes) -> dict[str, list[str]]:
    """Header of the validated column → the values its drop-down offers."""
    workbook = load_workbook(io.BytesIO(data))
    sheet, lists = workbook.worksheets
    headers = {cell.column_letter: cell.value for cell in sheet[2]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        reference = validation.formula1.split("!")[1].replace("$", "")
        found[headers[column]] = [c.value for row in lists[reference] for c in row]
    return found


@pytest.mark.parametrize(("program", "columns"), [("board", BOARD_COLUMNS), ("rems", REMS_COLUMNS)])
def test_it_reads_the_untouched_templates_as_no_records(program: str, columns: tuple) -> None:
    assert txt_template(program).decode("utf-8-sig").split("\t")[0] == "Record Action"
    for data, file_type in ((txt_template(program), "txt"), (xlsx_template(program), "xlsx")):
        with pytest.raises(FileFormatError, match="contains no learner records"):
            read_learner_file(data, file_type=file_type, program=program)


def test_it_offers_the_board_drop_downs_from_the_reference_tables() -> None:
    lists = drop_downs(xlsx_template())

    assert lists["Record Action"] == ["Add", "Delete"]
    assert lists["Certifying Board"] == list(Board.objects.values_list("code", flat=True))
    assert "IL" in lists["Licensing State"] and len(lists["Licensing State"]) == 51
    assert {"Medical Knowledge", "Lifelong Learning", "Quality Improvement"} <= set(
        lists["Credit Type"]
    )
    assert lists["Additional Credit Type"] == lists["Credit Type"]


def test_it_offers_a_new_board_without_a_code_change() -> None:
    Board.objects.create(code="ABFM", name="American Board of Family Medicine")

    assert "ABFM" in drop_downs(xlsx_template())["Certifying Board"]


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
