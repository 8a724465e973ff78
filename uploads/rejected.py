"""The rejected rows of an upload, read back from its stored report (the admin shows them; staff
fix them in the browser, uploads/corrections.py).

The report (learners/report.py, activities/files.py) is the file's columns, then "Error Codes"
(separated by CODE_SEPARATOR) and "Error Messages" (MESSAGE_SEPARATOR). An activity file in PARS's
Template D has no header row, and neither has its report: its cells are named by their place, as
PARS numbers them ("1" … "47"), and its last two are the codes and messages. Cells come back as
the file's reader would see them: without the apostrophe the report writes before a formula-like
value.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from learners.engine.rows import REPORT_COLUMNS
from learners.formats.table import clean_cell
from learners.report import CODE_SEPARATOR, MESSAGE_SEPARATOR
from uploads.models import Upload

CODES_HEADER, MESSAGES_HEADER = REPORT_COLUMNS
TEMPLATE = "template"  # Template D's rows begin with their template's name


@dataclass(frozen=True)
class RejectedRow:
    """One row of the report: its place in the report, its cells by header, its codes."""

    number: int
    cells: dict[str, str]
    codes: list[str]
    messages: list[str]

    def cell(self, header: str) -> str:
        return self.cells.get(header, "")


def rejected_rows_read(data: bytes) -> list[RejectedRow]:
    """The rows of a tab-delimited rejected-rows report (UTF-8, as the portal writes it)."""
    text = data.decode("utf-8-sig", errors="replace")
    lines = [
        line for line in csv.reader(io.StringIO(text, newline=""), delimiter="\t") if any(line)
    ]
    if not lines:
        return []
    if lines[0] and lines[0][0].strip().casefold().startswith(TEMPLATE):
        width = max(len(line) for line in lines)
        header, rows = [*(str(n) for n in range(1, width - 1)), *REPORT_COLUMNS], lines
    else:
        header, *rows = lines
    found = []
    for number, values in enumerate(rows, start=1):
        cells = dict(zip(header, (clean_cell(value) for value in values), strict=False))
        found.append(
            RejectedRow(
                number=number,
                cells=cells,
                codes=_split(cells.get(CODES_HEADER, ""), CODE_SEPARATOR),
                messages=_split(cells.get(MESSAGES_HEADER, ""), MESSAGE_SEPARATOR),
            )
        )
    return found


def upload_rejected_rows(upload: Upload) -> list[RejectedRow] | None:
    """The upload's rejected rows; None when it has no report (any more) to read them from."""
    if not upload.has_report:
        return None
    try:
        with upload.report_file.open("rb") as handle:
            return rejected_rows_read(handle.read())
    except FileNotFoundError:
        return None


def _split(value: str, separator: str) -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]
