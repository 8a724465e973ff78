"""Comma-separated `.csv` learner files, as Excel writes them, and our own report as `.csv`."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from learners.engine.results import RowError, RowResult
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS, LearnerRow
from learners.engine.values import parse_birth
from learners.formats import FileFormatError, read_learner_file
from learners.report import rejected_rows_csv

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
TITLES = [title for _, title in BOARD_COLUMNS]
ROW = ["Add", "210015516", "07/06/2025", "Jane", "ACCME", "10/30", "IL", "036999902", "2"]


def as_csv(lines: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode(encoding)


def read_csv(data: bytes, program: str = "board") -> list[LearnerRow]:
    return read_learner_file(data, file_type="csv", program=program)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("names_*.txt")), ids=lambda p: p.stem)
def test_it_reads_a_tab_delimited_csv_in_every_excel_encoding(path: Path) -> None:
    """A `.csv` may be tab-delimited (Excel's "Unicode Text" renamed, or a tab export)."""
    as_txt = read_learner_file(path.read_bytes(), file_type="txt")

    assert [r.values() for r in read_csv(path.read_bytes())] == [r.values() for r in as_txt]


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "cp1252", "utf-16"],
    ids=["utf8", "utf8bom", "cp1252", "utf16"],
)
def test_it_reads_a_comma_separated_file_in_every_excel_encoding(encoding: str) -> None:
    lines = [TITLES, [*ROW[:3], "Zoë", "Muñoz", *ROW[5:]], [*ROW[:3], "Sean", "O'Keeffe", *ROW[5:]]]

    rows = read_csv(as_csv(lines, encoding=encoding))

    assert [(r.first_name, r.last_name) for r in rows] == [("Zoë", "Muñoz"), ("Sean", "O'Keeffe")]
    assert rows[0].values()[:9] == [*ROW[:3], "Zoë", "Muñoz", *ROW[5:]]
    assert [r.row_number for r in rows] == [2, 3]


def test_it_reads_quoted_cells_holding_commas_quotes_and_line_breaks() -> None:
    data = (
        b"Record Action,ACCME Activity ID,Completion Date,First Name,Last Name\r\n"
        b'Add,210015516,07/06/2025,"Smith, Jr.","O""Brien\r\nline two"\r\n'
    )

    [row] = read_csv(data)

    assert (row.first_name, row.last_name) == ("Smith, Jr.", 'O"Brien\r\nline two')


def test_it_reads_a_file_without_a_header_by_position() -> None:
    [row] = read_csv(as_csv([ROW]))

    assert (row.row_number, row.license_id, row.cme_credits) == (1, "036999902", "2")


def test_it_reads_the_rems_layout() -> None:
    titles = [title for _, title in REMS_COLUMNS]
    values = ["Add", "210015525", "10/01/2026", "L-1", "Pharmacist", "Pain", "None", "IL",
              "6-10 years", "N"]  # fmt: skip

    [row] = read_csv(as_csv([titles, values]), program="rems")

    assert row.values(REMS_COLUMNS) == values


def test_it_refuses_a_semicolon_separated_file_and_says_why() -> None:
    data = as_csv([TITLES, ROW], delimiter=";")

    with pytest.raises(FileFormatError, match="separated by semicolons") as refused:
        read_csv(data)

    assert "European list separator" in str(refused.value)


def test_it_refuses_a_file_with_neither_commas_nor_tabs() -> None:
    with pytest.raises(FileFormatError, match="Line 1 has no commas or tabs"):
        read_csv(b"just one column\r\nand another line\r\n")


def test_it_still_refuses_commas_in_a_txt_and_points_to_csv() -> None:
    """PARS's `.txt` is tab-delimited: a comma-separated one is not formatted correctly."""
    with pytest.raises(FileFormatError, match="not tab-delimited") as refused:
        read_learner_file(as_csv([TITLES, ROW]), file_type="txt")

    assert "comma-separated (.csv) file type" in str(refused.value)


def test_it_refuses_a_workbook_named_csv() -> None:
    with pytest.raises(FileFormatError, match="Excel workbook"):
        read_csv(b"PK\x03\x04rest of a zip")


def test_it_prefers_the_delimiter_that_splits_the_header() -> None:
    """A tab-delimited `.csv` whose names hold commas is read by its tabs."""
    data = as_csv([TITLES, [*ROW[:3], "Smith, Jr.", *ROW[4:]]], delimiter="\t")

    [row] = read_csv(data)

    assert row.first_name == "Smith, Jr." and row.cme_credits == "2"


def _report(*rows: LearnerRow) -> bytes:
    results = [
        RowResult(row=row, errors=[RowError("690", "No such activity, it says")]) for row in rows
    ]
    return rejected_rows_csv(results)


def test_it_reads_our_rejected_rows_csv_back_as_it_is() -> None:
    rows = [
        LearnerRow(row_number=2, record_action="Add", activity_id="21001551",
                   first_name="Smith, Jr.", last_name="-Dash", birth_date="10/30"),
        LearnerRow(row_number=3, record_action="Add", completion_date="=1+1", last_name='Quote "q"'),
    ]  # fmt: skip

    back = read_csv(_report(*rows))

    assert [r.values() for r in back] == [r.values() for r in rows]


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def excel_saved(report: bytes) -> bytes:
    """The report after Excel (US locale) opened it and saved it as "CSV (Comma delimited)":
    Windows-1252 without a BOM, quotes only where needed, dates as Excel shows them."""
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"), newline="")))
    birth, completion = TITLES.index("Date of Birth"), TITLES.index("Completion Date")
    for line in lines[1:]:
        month, day = line[birth].split("/")
        line[birth] = f"{int(day)}-{MONTHS[int(month) - 1]}"
        m, d, y = line[completion].split("/")
        line[completion] = f"{int(m)}/{int(d)}/{y}"
    return as_csv(lines, encoding="cp1252")


def test_it_reads_the_report_after_excel_saved_it() -> None:
    row = LearnerRow(row_number=2, record_action="Add", activity_id="210015516",
                     completion_date="07/06/2025", first_name="Zoë", last_name="Muñoz, Jr.",
                     birth_date="03/04", licensing_state="IL", license_id="IL100001")  # fmt: skip
    saved = excel_saved(_report(row))
    assert not saved.startswith(codecs.BOM_UTF8) and b"4-Mar" in saved

    [back] = read_csv(saved)

    assert (back.first_name, back.last_name) == ("Zoë", "Muñoz, Jr.")
    assert (back.completion_date, back.birth_date) == ("7/6/2025", "4-Mar")
    assert parse_birth(back.birth_date) == (3, 4)  # the engine reads Excel's day-month date


@pytest.mark.parametrize(
    ("text", "birth"),
    [("15-Nov", (11, 15)), ("1-jan", (1, 1)), ("29-Feb", (2, 29)), ("31-Apr", None),
     ("Nov-15", None), ("15-November", None), ("²/1", None)],
)  # fmt: skip
def test_it_reads_excels_day_month_birth_dates(text: str, birth: tuple[int, int] | None) -> None:
    assert parse_birth(text) == birth
