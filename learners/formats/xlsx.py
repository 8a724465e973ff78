"""Excel `.xlsx` learner files: the same columns as the `.txt`, read from the first worksheet.

Cells arrive typed: dates become `MM/DD/YYYY` (a birth date `MM/DD`: Excel turns a typed "10/30"
into a date of the current year), numbers clean strings ("2", not "2.0"; "0.25"), formulas their
cached values. Header and guidance rows are handled by `table.rows_from_table` like the `.txt`.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO

from openpyxl import load_workbook

from learners.engine.rows import LearnerRow
from learners.formats.base import FileFormatError, check_size
from learners.formats.table import rows_from_table

MAX_COLUMNS = 40  # the 16 template columns, our report's two, and room for reordering
# A small .xlsx can unzip to a huge one, and openpyxl holds a workbook's shared strings in memory
# (a 200 KB file unzipping to 200 MB of them costs over a gigabyte). 2,500 honest rows unzip to
# a few megabytes.
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024

NOT_A_WORKBOOK = (
    "The file is not a readable Excel workbook (.xlsx). Save it from Excel as "
    "'Excel Workbook (*.xlsx)', or choose the matching file type."
)


def cell_text(value: object) -> str:
    """A typed cell value as the text a `.txt` export would carry."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    number = Decimal(repr(value))
    return format(number.normalize(), "f") if number.is_finite() else repr(value)


def check_workbook_zip(data: bytes | BinaryIO) -> None:
    """A readable zip whose members unzip to at most MAX_UNZIPPED_BYTES (sizes from its directory:
    Python's zipfile never inflates a member beyond its declared size). `data`: the bytes, or
    the seekable file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileFormatError(NOT_A_WORKBOOK) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise FileFormatError(
            "The workbook is too large once unzipped; split it into smaller files."
        )


def _sheet_lines(data: bytes, date_cells: dict[int, set[str]]) -> Iterator[tuple[int, list[str]]]:
    with warnings.catch_warnings():
        # openpyxl warns about Excel extensions it ignores (e.g. some data validations).
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or foreign file
            raise FileFormatError(NOT_A_WORKBOOK) from None
    try:
        if not workbook.worksheets:
            raise FileFormatError("The workbook has no worksheet with learner records.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # don't trust a stored (possibly wrong) sheet size
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(rows, start=1):
            cells = [cell_text(value) for value in values]
            while cells and not cells[-1]:  # read-only sheets pad rows out to max_col
                cells.pop()
            dated = {cells[i] for i, v in enumerate(values) if isinstance(v, date)}
            if dated:
                date_cells[number] = dated
            yield number, cells
    except FileFormatError:
        raise
    except Exception:
        raise FileFormatError(NOT_A_WORKBOOK) from None
    finally:
        workbook.close()


def workbook_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first worksheet as `(row number, cell texts)`, for any tabular reader (activity files
    too); FileFormatError when it is no readable workbook."""
    check_size(data)
    check_workbook_zip(data)
    return _sheet_lines(data, {})


def read_xlsx(data: bytes, *, program: str = "board") -> list[LearnerRow]:
    """Read a `.xlsx` learner file into LearnerRows (FileFormatError for the file as a whole)."""
    check_size(data)
    check_workbook_zip(data)
    date_cells: dict[int, set[str]] = {}
    rows = rows_from_table(_sheet_lines(data, date_cells), program=program)
    return [_birth_month_day(row, date_cells.get(row.row_number)) for row in rows]


def _birth_month_day(row: LearnerRow, dated: set[str] | None) -> LearnerRow:
    # An Excel date in the birth-date column carries a year nobody meant: keep MM/DD.
    if dated and row.birth_date in dated:
        return dataclasses.replace(row, birth_date=row.birth_date[:5])
    return row
