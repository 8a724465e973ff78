"""Fixing rejected rows in the browser: the rows still to fix, grouped by code, and the new upload
that sends the corrected ones through the same engine.

A chain starts with an upload that has rejected rows. Each correction is an upload of its own
(`Upload.corrects` names the first upload; `Upload.corrected_rows` the rows it sends again, by
key), queued, locked, checked for duplicates and processed by a worker like any file. The rows
still to fix are the first upload's rejected rows, less those a completed correction sent again,
plus that correction's own rejected rows (with their new codes). Rows are read from the stored
rejected-rows reports, so nothing about them is kept twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db.models import Q

from learners.engine.code_fields import fields_at_fault
from learners.engine.codes import CODES
from learners.engine.results import RowError
from learners.formats import FileFormatError, read_learner_file
from learners.formats.base import Columns, columns_for
from learners.formats.delimited import write_delimited
from portal.models import Provider
from uploads import refusals
from uploads.models import ACTIVE_STATUSES, FileType, Mode, Upload, UploadKind, UploadStatus
from uploads.rejected import RejectedRow, upload_rejected_rows
from uploads.services import IncomingFile, Intake, upload_create

# What a cell keeps of a typed value: more than any column takes, so the engine still says that
# a value is too long, as it would of a file's.
MAX_CELL = 1000


@dataclass
class FixRow:
    """One rejected row still to fix: its values by field, its errors and the cells at fault."""

    key: str  # "<upload id>-<row of its report>": stable while the chain lives
    upload_id: int
    values: dict[str, str]
    errors: list[RowError]
    faults: dict[str, list[RowError]] = field(default_factory=dict)  # field → its errors

    @property
    def code(self) -> str:
        return self.errors[0].code if self.errors else ""


@dataclass
class FixGroup:
    """The rows whose first code is `code`, with PARS's wording of it."""

    code: str
    message: str
    rows: list[FixRow]


def row_key(upload_id: int, number: int) -> str:
    return f"{upload_id}-{number}"


def chain_root(upload: Upload) -> Upload:
    """The first upload of a chain (a correction names it)."""
    return upload.corrects if upload.corrects is not None else upload


def is_fixable(upload: Upload) -> bool:
    """Rows can be fixed in the browser on a submitted learner upload that completed with a report.

    (An activity file's report has another layout, and its rows are fixed on the activity's form.)
    """
    return (
        upload.kind == UploadKind.LEARNERS
        and upload.status == UploadStatus.COMPLETED
        and upload.mode == Mode.SUBMIT
        and upload.corrects_id is None
        and (upload.rejected_records == 0 or upload.has_report)
    )


def _completed_corrections(root: Upload) -> list[Upload]:
    return list(
        root.corrections.filter(status=UploadStatus.COMPLETED, mode=Mode.SUBMIT).order_by("pk")
    )


def chain_open_count(root: Upload) -> int:
    """How many of the chain's rejected rows are still to fix, from the counts alone."""
    open_rows = root.rejected_records
    for correction in _completed_corrections(root):
        open_rows += correction.rejected_records - len(correction.corrected_rows)
    return max(open_rows, 0)


def chain_state(root: Upload) -> str:
    """Changes whenever a correction completes: a page of rows older than it is stale."""
    latest = root.corrections.filter(status=UploadStatus.COMPLETED).order_by("-pk").first()
    return f"{root.pk}.{latest.pk if latest else 0}"


def chain_open_rows(root: Upload) -> list[FixRow]:
    """The rows still to fix in the grid's order: by first code, then as they were rejected."""
    columns = columns_for(root.program)
    rows = {row.key: row for row in _rows_of(root, columns)}
    for correction in _completed_corrections(root):
        for key in correction.corrected_rows:
            rows.pop(key, None)
        rows.update((row.key, row) for row in _rows_of(correction, columns))
    return sorted(rows.values(), key=lambda row: _code_order(row.code))


def _code_order(code: str) -> tuple[int, str]:
    return len(code), code


def _rows_of(upload: Upload, columns: Columns) -> list[FixRow]:
    return [_fix_row(upload.pk, found, columns) for found in upload_rejected_rows(upload) or []]


def _fix_row(upload_id: int, found: RejectedRow, columns: Columns) -> FixRow:
    values = {name: found.cell(header) for name, header in columns}
    row = FixRow(row_key(upload_id, found.number), upload_id, values, _errors(found))
    for error in row.errors:
        for name in fields_at_fault(error, values, columns=columns):
            row.faults.setdefault(name, []).append(error)
    return row


def _errors(found: RejectedRow) -> list[RowError]:
    """The row's codes with their messages; PARS's wording when the two lists don't pair up
    (a message that itself held the separator)."""
    if len(found.messages) == len(found.codes):
        return [RowError(c, m) for c, m in zip(found.codes, found.messages, strict=True)]
    return [RowError(c, CODES[c].pars_message if c in CODES else "") for c in found.codes]


def fix_groups(rows: Sequence[FixRow]) -> list[FixGroup]:
    """The rows grouped by their first code, codes in numeric order, rows in their order."""
    groups: dict[str, FixGroup] = {}
    for row in rows:
        code = CODES.get(row.code)
        message = code.pars_message if code else ""
        groups.setdefault(row.code, FixGroup(row.code, message, [])).rows.append(row)
    return [groups[code] for code in sorted(groups, key=_code_order)]


def code_counts(rows: Sequence[FixRow]) -> list[tuple[str, str, int]]:
    """(code, PARS's wording, rows carrying it) for every code of the rows, in numeric order."""
    counts: dict[str, int] = {}
    for row in rows:
        for code in dict.fromkeys(error.code for error in row.errors):
            counts[code] = counts.get(code, 0) + 1
    return [
        (code, CODES[code].pars_message if code in CODES else "", counts[code])
        for code in sorted(counts, key=_code_order)
    ]


def running_correction(root: Upload, user: Any) -> Upload | None:
    """A correction of the chain still queued or processing, or `user`'s own awaiting the answer
    to "POTENTIAL DUPLICATE FILE DETECTED" (only its uploader can give it, within a day)."""
    waiting = Q(status__in=ACTIVE_STATUSES) | Q(status=UploadStatus.PENDING, user=user)
    return root.corrections.filter(waiting).order_by("-pk").first()


def edited_values(row: FixRow, posted: Mapping[str, str]) -> dict[str, str]:
    """The row's values with what was typed over them (stripped, as a file's reader would)."""
    return {
        name: posted.get(name, value).replace("\x00", "").strip()[:MAX_CELL]
        for name, value in row.values.items()
    }


def upload_correct(
    *,
    provider: Provider,
    user: Any,
    root: Upload,
    state: str,
    edits: Mapping[str, Mapping[str, str]],
) -> Intake:
    """Send the rows that were changed as a new upload correcting `root` (rows left as they
    were are not sent); refused when nothing is left to fix or changed, or the page is stale."""
    if running_correction(root, user) is not None:
        raise refusals.in_progress()
    if state != chain_state(root):
        raise refusals.fix_stale()
    rows = chain_open_rows(root)
    if not rows:
        raise refusals.nothing_to_fix()
    changed: list[tuple[int, FixRow, dict[str, str]]] = []
    for number, row in enumerate(rows, start=1):
        values = edited_values(row, edits.get(row.key, {}))
        if values != row.values:
            changed.append((number, row, values))
    if not changed:
        raise refusals.nothing_changed()
    return upload_create(
        provider=provider,
        user=user,
        file_type=FileType.TXT,
        program=root.program,
        mode=Mode.SUBMIT,
        incoming=IncomingFile.from_bytes(
            correction_name(root), correction_file(root, [(n, v) for n, _, v in changed])
        ),
        corrects=root,
        corrected_rows=[row.key for _, row, _ in changed],
    )


def correction_file(root: Upload, rows: Sequence[tuple[int, Mapping[str, str]]]) -> bytes:
    """The changed rows as a tab-delimited learner file, checked to read back row for row.

    `rows`: (the row's number on the page, for a message; its values).
    """
    columns = columns_for(root.program)
    for number, values in rows:
        if not any(values.values()):
            raise refusals.row_not_sendable(
                number, "has no values left: type them again, or undo your changes to leave it."
            )
    data = write_delimited(
        [[title for _, title in columns], *([v[name] for name, _ in columns] for _, v in rows)]
    )
    first = rows[0][0]
    try:
        read = read_learner_file(data, file_type=FileType.TXT, program=root.program)
    except FileFormatError as exc:
        raise refusals.row_not_sendable(first, f"can't be read as a learner row: {exc}") from None
    if len(read) != len(rows):  # only the first row can read as the template's guidance row
        raise refusals.row_not_sendable(
            first, "reads as the template's guidance row: its Record Action must be Add or Delete."
        )
    return data


def correction_name(root: Upload) -> str:
    """`<first file's name>-corrections-<n>.txt`: unique in the chain, so only the same content
    sent twice is a possible duplicate."""
    number = root.corrections.count() + 1
    stem = PurePath(root.original_name).stem[:200]
    return f"{stem}-corrections-{number}.txt"
