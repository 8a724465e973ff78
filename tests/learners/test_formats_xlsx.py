"""Excel `.xlsx` learner files: typed cells, guidance and header rows, damaged workbooks."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.formats import FileFormatError, read_learner_file
from learners.formats.xlsx import cell_text

pytestmark = pytest.mark.django_db

HEADER = [title for _, title in BOARD_COLUMNS]


def workbook_bytes(*rows: list[object], start_row: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=start_row + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_turns_date_and_number_cells_into_the_file_strings() -> None:
    data = workbook_bytes(
        HEADER,
        ["Add", 210015516, datetime(2025, 7, 6, 14, 30), "Jane", "ACCME", date(2026, 10, 30), "IL",
         "036999902", 2.0, "ABIM", 999902, 1.5, "Medical Knowledge", 0.25, "Patient Safety", 1.25],
    )  # fmt: skip

    (row,) = read_learner_file(data, file_type="xlsx")

    assert row.row_number == 2
    assert row.activity_id == "210015516"
    assert row.completion_date == "07/06/2025"
    assert row.birth_date == "10/30"  # Excel made "10/30" a date of this year: the year goes
    assert row.license_id == "036999902"
    assert (row.cme_credits, row.board_id, row.board_points) == ("2", "999902", "1.5")
    assert (row.credit_type_points, row.additional_credit_type_points) == ("0.25", "1.25")


def test_it_keeps_a_typed_birth_date_text_as_given() -> None:
    data = workbook_bytes(["Add", "210015516", "07/06/2025", "Jane", "ACCME", "10/30/1970"])

    (row,) = read_learner_file(data, file_type="xlsx")

    assert row.birth_date == "10/30/1970"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (2, "2"),
        (2.0, "2"),
        (0.25, "0.25"),
        (1e-7, "0.0000001"),
        (True, "TRUE"),
        ("x", "x"),
    ],
)
def test_it_writes_numbers_as_clean_strings(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_it_skips_guidance_and_header_rows_and_blank_rows() -> None:
    guidance = ["Add or Delete", "9-digit ACCME Activity ID", "MM/DD/YYYY", "Learner's first name"]
    data = workbook_bytes(
        guidance, HEADER, [], ["Add", "210015516", "07/06/2025", "Zoë", "Muñoz"], [], start_row=3
    )

    (row,) = read_learner_file(data, file_type="xlsx")

    assert row.row_number == 6
    assert (row.first_name, row.last_name) == ("Zoë", "Muñoz")


def test_it_reads_a_row_far_below_the_others() -> None:
    row = ["Add", "210015516", "07/06/2025", "Zoë", "Muñoz"]
    workbook = Workbook()
    sheet = workbook.active
    for column, value in enumerate(HEADER, start=1):
        sheet.cell(row=1, column=column, value=value)
    for at in (2, 20_000):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=at, column=column, value=value)
    for blank in range(3, 20_000):  # formatting carried down, as Excel writes it
        sheet.cell(row=blank, column=1).number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = read_learner_file(buffer.getvalue(), file_type="xlsx")

    assert [r.row_number for r in rows] == [2, 20_000]


def test_it_reads_the_rems_layout() -> None:
    data = workbook_bytes(
        [title for _, title in REMS_COLUMNS],
        ["Add", 210015525, date(2026, 10, 15), "H1", "Nurse", "Pain", "None", "WI", "Trainee", "N"],
    )

    (row,) = read_learner_file(data, file_type="xlsx", program="rems")

    assert (row.learner_local_id, row.completion_date, row.performs_surgery) == (
        "H1",
        "10/15/2026",
        "N",
    )


def test_it_ignores_the_error_columns_of_a_report_saved_as_xlsx() -> None:
    data = workbook_bytes(
        [*HEADER, "Error Codes", "Error Messages"],
        ["Add", "210015516", "07/06/2025", "Jane", *[""] * 12, "690", "No such activity"],
    )

    (row,) = read_learner_file(data, file_type="xlsx")

    assert row.values()[-1] == ""
    assert row.raw[-2:] == ("690", "No such activity")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a readable Excel workbook"),
        (b"Add\t210015516\n", "not a readable Excel workbook"),
        (b"PK\x03\x04garbage", "not a readable Excel workbook"),
    ],
)
def test_it_refuses_files_that_are_not_workbooks(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_learner_file(data, file_type="xlsx")


def test_it_refuses_a_zip_that_is_no_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    with pytest.raises(FileFormatError, match="not a readable Excel workbook"):
        read_learner_file(buffer.getvalue(), file_type="xlsx")


def test_it_refuses_a_workbook_that_unzips_too_large(monkeypatch) -> None:
    monkeypatch.setattr("learners.formats.xlsx.MAX_UNZIPPED_BYTES", 1000)

    with pytest.raises(FileFormatError, match="too large once unzipped"):
        read_learner_file(workbook_bytes(HEADER), file_type="xlsx")


def test_it_refuses_an_empty_sheet_and_too_many_rows(settings) -> None:
    with pytest.raises(FileFormatError, match="contains no learner records"):
        read_learner_file(workbook_bytes(HEADER), file_type="xlsx")

    settings.UPLOAD_MAX_RECORDS = 3
    rows = [["Add", "210015516", "07/06/2025", "Jane"]] * 4
    with pytest.raises(FileFormatError, match="more than 3 learner records"):
        read_learner_file(workbook_bytes(HEADER, *rows), file_type="xlsx")
