"""LearnerRows → a learner file (`.txt`, `.csv`, `.xlsx` or `.xml`), as a provider's system would
write it.

Used for generated test files and samples; each format reads back to rows with the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from learners.engine.rows import LearnerRow
from learners.formats.base import FILE_TYPES, columns_for
from learners.formats.delimited import LAYOUTS, write_delimited
from learners.formats.templates import filled_xlsx
from learners.formats.xml_writer import learner_reports_xml

if TYPE_CHECKING:
    from portal.models import Provider


def _excel_value(name: str, value: str) -> object:
    """What Excel would store: dates as dates, amounts as numbers, the rest as typed."""
    if name == "completion_date":
        parts = value.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[2]), int(parts[0]), int(parts[1]))
            except ValueError:
                return value
    if name.endswith(("credits", "points")) and value.replace(".", "", 1).isdigit():
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def encode_learner_file(
    rows: Sequence[LearnerRow], *, file_type: str, program: str, provider: Provider, today: date
) -> bytes:
    """The rows as a `.txt`, `.csv`, `.xlsx` or `.xml` learner file."""
    columns = columns_for(program)
    if file_type in LAYOUTS:
        return write_delimited(
            [[title for _, title in columns], *(row.values(columns) for row in rows)],
            delimiter=LAYOUTS[file_type].delimiters[0],
        )
    if file_type == "xlsx":
        return filled_xlsx(
            (
                [
                    _excel_value(name, value)
                    for (name, _), value in zip(columns, row.values(columns), strict=True)
                ]
                for row in rows
            ),
            program,
        )
    if file_type == "xml":
        return learner_reports_xml(
            rows, reporting_organization=provider.name, provider_id=provider.accme_id, created=today
        )
    raise ValueError(f"Unknown file type {file_type!r}; expected one of {', '.join(FILE_TYPES)}.")
