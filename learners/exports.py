"""Export a screen's filtered list as CSV or Excel (.xlsx), the way staff open it: in Excel.

Both writers take a header row and rows of plain values (str, int, Decimal, date, None). A text
cell that Excel would run as a formula is neutralised (SPEC §2.3, CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from activities.models import Activity
from learners.models import CompletionRecord
from learners.xlsx import Value, chunk_ends, xlsx_chunks

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


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> Iterator[bytes]:
    """UTF-8 with a BOM, so Excel on Windows reads `Muñoz` as written; a few hundred rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if chunk_ends(number):
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def rows_to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str) -> bytes:
    """One sheet, header in the first row; typed cells (dates are dates, numbers numbers)."""
    return b"".join(xlsx_chunks(header, rows, title=title))


def export_chunks(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str
) -> Iterator[bytes]:
    """The export as it is written, for a streaming response: memory stays flat however long."""
    if fmt == "xlsx":
        return xlsx_chunks(header, rows, title=title)
    return csv_chunks(header, rows)


def export_bytes(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str
) -> bytes:
    return b"".join(export_chunks(fmt, header, rows, title=title))


ACTIVITY_SUMMARY_HEADER = (
    "ACCME Activity ID",
    "Provider Activity ID",
    "Activity Title",
    "Activity Type",
    "Start Date",
    "End Date",
    "Reporting Year",
    "Activity Status",
    "Board or Program",
    "Learners",
    "Accepted",
    "Submitted",
    "Transmitted",
    "Approved",
    "Rejected",
    "Deleted",
)


def activity_programs(activity: Activity) -> str:
    """'ABIM, ABA' for MOC, 'REMS' for Opioid Analgesic REMS, 'CME' when neither."""
    programs = [registration.board.code for registration in activity.moc_registrations.all()]
    if activity.rems_registered:
        programs.append("REMS")
    return ", ".join(programs) or "CME"


def activity_summary_rows(activities: Iterable[Activity]) -> Iterator[tuple[Value, ...]]:
    """One row per activity of `activity_summary_list`, with its counts (`with_record_counts`)."""
    for a in activities:
        yield (
            a.activity_id,
            a.provider_activity_id,
            a.title,
            a.format.name,
            a.start_date,
            a.end_date,
            a.reporting_year,
            a.get_status_display(),
            activity_programs(a),
            a.n_live,  # type: ignore[attr-defined]
            a.n_accepted,  # type: ignore[attr-defined]
            a.n_submitted,  # type: ignore[attr-defined]
            a.n_transmitted,  # type: ignore[attr-defined]
            a.n_approved,  # type: ignore[attr-defined]
            a.n_rejected,  # type: ignore[attr-defined]
            a.n_deleted,  # type: ignore[attr-defined]
        )


LEARNER_SEARCH_HEADER = (
    "Board",
    "First Name",
    "Last Name",
    "DOB",
    "Learner ID",
    "ACCME Activity ID",
    "Activity Title",
    "Date Completed",
    "Submission Date",
    "CME Credits",
    "MOC Points",
    "Credits Awarded",
    "Credit ID",
    "Status",
)


def record_program(record: CompletionRecord) -> str:
    if record.board_id:
        return record.board.code  # type: ignore[union-attr]
    return "REMS" if record.rems_profession else "CME"


def record_birth_date(record: CompletionRecord) -> str:
    learner = record.learner
    return f"{learner.birth_month:02d}/{learner.birth_day:02d}" if learner else ""


def record_learner_id(record: CompletionRecord) -> str:
    """The directory id of the matched physician; a REMS record only has the provider's local id."""
    return str(record.learner_id) if record.learner_id else record.rems_learner_local_id


AMA_CREDIT = "AMA PRA Category 1 Credit"


@dataclass(frozen=True)
class RecordCredit:
    """One kind of credit a record carries: CME (AMA) or one board's MOC points."""

    program: str  # "CME" or the board's code
    amount: Decimal
    awarded: str  # "AMA PRA Category 1 Credit", or "Medical Knowledge 1.50; Patient Safety 0.50"


def record_credits(record: CompletionRecord) -> list[RecordCredit]:
    """Every credit of the record, AMA first: a combined CME + MOC record has both."""
    credits = []
    if record.ama_credits is not None:
        credits.append(RecordCredit("CME", record.ama_credits, AMA_CREDIT))
    if record.board_id and record.moc_points is not None:
        types = "; ".join(
            f"{c.get('type', '')} {c.get('points', '')}".strip() for c in record.moc_credits or []
        )
        credits.append(RecordCredit(record.board.code, record.moc_points, types))  # type: ignore[union-attr]
    return credits


def record_credits_awarded(record: CompletionRecord) -> str:
    """'AMA PRA Category 1 Credit; Medical Knowledge 1.50' for a combined record."""
    return "; ".join(credit.awarded for credit in record_credits(record) if credit.awarded)


def learner_search_rows(records: Iterable[CompletionRecord]) -> Iterator[tuple[Value, ...]]:
    """One row per record of `learner_search_list`."""
    for r in records:
        learner = r.learner
        yield (
            record_program(r),
            learner.first_name if learner else "",
            learner.last_name if learner else "",
            record_birth_date(r),
            record_learner_id(r),
            r.activity.activity_id,
            r.activity.title,
            r.completion_date,
            timezone.localtime(r.created_at),
            r.ama_credits,
            r.moc_points,
            record_credits_awarded(r),
            r.credit_id,
            r.get_status_display(),
        )
