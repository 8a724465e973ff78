"""Export a screen's filtered list as CSV or Excel (.xlsx), the way staff open it: in Excel.

Both writers take a header row and rows of plain values (str, int, Decimal, date, None). A text
cell that Excel would run as a formula is neutralised (SPEC §2.3, CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Value = str | int | Decimal | date | None

EXPORT_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A leading apostrophe stops Excel from running `=HYPERLINK(…)` typed into a name field."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %I:%M %p")
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """UTF-8 with a BOM, so Excel on Windows reads `Muñoz` as written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(sheet: object, value: Value) -> WriteOnlyCell:
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time.
        value = value.replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores a string starting with "=" as a formula; keep it text.
        cell.data_type = "s"
    if isinstance(value, datetime):
        cell.number_format = "mm/dd/yyyy hh:mm AM/PM"
    elif isinstance(value, date):
        cell.number_format = "mm/dd/yyyy"
    return cell


def rows_to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str) -> bytes:
    """One sheet, header in bold-free first row; typed cells (dates are dates, numbers numbers)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_bytes(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str
) -> bytes:
    if fmt == "xlsx":
        return rows_to_xlsx(header, rows, title=title)
    return rows_to_csv(header, rows)
