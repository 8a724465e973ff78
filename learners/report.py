"""The rejected-rows report (SPEC §2.3): the learner-file columns, then the codes and messages.

Staff open it in Excel, fix the rows and upload it again as it is: the `.txt` reader ignores the
two error columns and drops the apostrophe written before formula-like cells, so the values come
back unchanged. XML and web-service rows are written in the learner-file columns too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from learners.engine.rows import BOARD_COLUMNS, REPORT_COLUMNS, LearnerRow
from learners.formats.base import columns_for
from learners.formats.delimited import write_delimited

CODE_SEPARATOR = "; "
MESSAGE_SEPARATOR = " | "
_LICENSE_COLUMN = [name for name, _ in BOARD_COLUMNS].index("license_id")


class ErrorLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


class ResultLike(Protocol):
    """What the report needs of the engine's RowResult."""

    @property
    def row(self) -> LearnerRow: ...

    @property
    def errors(self) -> Sequence[ErrorLike]: ...


def report_rows(results: Sequence[ResultLike], *, program: str = "board") -> list[list[str]]:
    """The header and one line per rejected row, as cell values."""
    columns = columns_for(program)
    header = [title for _, title in columns] + list(REPORT_COLUMNS)
    lines = [header]
    for result in results:
        if not result.errors:
            continue
        codes = CODE_SEPARATOR.join(error.code for error in result.errors)
        messages = MESSAGE_SEPARATOR.join(error.message for error in result.errors)
        lines.append([*file_values(result.row, program=program), codes, messages])
    return lines


def file_values(row: LearnerRow, *, program: str = "board") -> list[str]:
    """The row in the learner-file columns; an XML NPI goes to "Licensing ID or NPI"."""
    values = row.values(columns_for(program))
    if program == "board" and row.npi and not row.license_id:
        values[_LICENSE_COLUMN] = row.npi
    return values


def rejected_rows_txt(results: Sequence[ResultLike], *, program: str = "board") -> bytes:
    """Tab-delimited report (UTF-8 with BOM, CRLF) that uploads again as it is."""
    return write_delimited(report_rows(results, program=program))


def rejected_rows_csv(results: Sequence[ResultLike], *, program: str = "board") -> bytes:
    """The same report as comma-separated values."""
    return write_delimited(report_rows(results, program=program), delimiter=",")
