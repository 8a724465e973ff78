"""The CSV and Excel writers behind every "Export results" link."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from learners.exports import rows_to_csv, rows_to_xlsx, safe_text

# The suite's autouse reference-data fixture needs the test database even for pure tests.
pytestmark = pytest.mark.django_db

HEADER = ("Name", "Completed", "Credits", "Count")


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_rows(data: bytes) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True))


def test_it_writes_csv_with_a_bom_and_us_dates() -> None:
    data = rows_to_csv(HEADER, [("Muñoz", date(2026, 3, 9), Decimal("1.50"), 3)])

    assert data.startswith(b"\xef\xbb\xbf")
    assert _csv_rows(data) == [list(HEADER), ["Muñoz", "03/09/2026", "1.50", "3"]]


def test_it_writes_empty_csv_cells_for_missing_values() -> None:
    assert _csv_rows(rows_to_csv(HEADER, [("Zoë", None, None, 0)]))[1] == ["Zoë", "", "", "0"]


def test_it_neutralises_formulas_in_csv_cells() -> None:
    rows = [(value, None, None, None) for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok")]

    names = [row[0] for row in _csv_rows(rows_to_csv(HEADER, rows))[1:]]

    assert names == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "ok"]


def test_it_leaves_ordinary_text_alone() -> None:
    assert safe_text("O'Keeffe") == "O'Keeffe"
    assert safe_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_it_writes_typed_xlsx_cells_that_read_back() -> None:
    data = rows_to_xlsx(
        HEADER, [("O'Keeffe", date(2026, 3, 9), Decimal("0.25"), 12)], title="Summary"
    )

    header, row = _xlsx_rows(data)
    assert header == HEADER
    assert row[0] == "O'Keeffe"
    assert row[1].date() == date(2026, 3, 9)  # type: ignore[union-attr]
    assert row[2] == 0.25
    assert row[3] == 12


def test_it_keeps_a_formula_looking_xlsx_cell_as_text() -> None:
    data = rows_to_xlsx(HEADER, [('=HYPERLINK("x")', None, None, None)], title="Summary")

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cell = workbook.active["A2"]
    assert cell.value == '=HYPERLINK("x")'
    assert cell.data_type == "s"


def test_it_names_the_sheet_within_excels_limit() -> None:
    data = rows_to_xlsx(HEADER, [], title="A very long sheet title that Excel refuses")

    assert len(openpyxl.load_workbook(io.BytesIO(data)).active.title) <= 31
