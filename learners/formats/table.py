"""Rows of cells (from a `.txt`, a `.csv` or an `.xlsx`) → LearnerRows: header, guidance rows, cleaning.

Both tabular readers hand over `(line number, cells)` pairs and get the same treatment:
- blank rows are skipped;
- a header row is optional; when present (within the first few rows) its cells are matched
  loosely (case, spaces, punctuation, a parenthetical hint like "(MM/DD)") and columns are taken
  by name, so reordered columns and our report's trailing `Error Codes` / `Error Messages` work;
- Excel's guidance row (a row of hints above or just below the header) is skipped;
- values are stripped, and one leading apostrophe before `= + - @ tab CR` is dropped: our
  rejected-rows report writes it against spreadsheet formula injection (see `escape_cell`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS, REPORT_COLUMNS, LearnerRow
from learners.engine.values import parse_date
from learners.formats.base import (
    Columns,
    FileFormatError,
    check_record_count,
    columns_for,
    max_records,
)

HEADER_SEARCH_ROWS = 4  # the header, if any, is among the first non-blank rows
MIN_HEADER_MATCHES = 3

INJECTION_LEADS = frozenset("=+-@\t\r")
_PARENTHETICAL = re.compile(r"\(.*?\)")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

_ALIASES: dict[str, str] = {
    "action": "record_action",
    "activityid": "activity_id",
    "accmeid": "activity_id",
    "completeddate": "completion_date",
    "dateofcompletion": "completion_date",
    "firstname": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "familyname": "last_name",
    "dob": "birth_date",
    "birthdate": "birth_date",
    "state": "licensing_state",
    "licensestate": "licensing_state",
    "licensingid": "license_id",
    "licenseid": "license_id",
    "licenseidornpi": "license_id",
    "cmecredits": "cme_credits",
    "board": "board",
    "boardid": "board_id",
    "diplomateid": "board_id",
    "mocpoints": "board_points",
    "performssurgicalproceduresyn": "performs_surgery",
    "surgicalprocedures": "performs_surgery",
}


def header_key(text: str) -> str:
    """'Credit Type ' → 'credittype'; 'Date of Birth (MM/DD)' → 'dateofbirth'."""
    return _NOT_ALNUM.sub("", _PARENTHETICAL.sub("", text).casefold())


def _header_index(columns: Columns) -> dict[str, str]:
    index = {header_key(header): name for name, header in columns}
    names = {name for name, _ in columns}
    index.update({k: v for k, v in _ALIASES.items() if v in names and k not in index})
    return index


_HEADERS = {"board": _header_index(BOARD_COLUMNS), "rems": _header_index(REMS_COLUMNS)}
_REPORT_KEYS = frozenset(header_key(h) for h in REPORT_COLUMNS)
_PROGRAM_LABEL = {"board": "Licensing or Specialty Board", "rems": "Opioid Analgesic REMS"}


def clean_cell(value: str) -> str:
    """Strip, and drop the one apostrophe our report put before a formula-like lead character."""
    value = value.strip()
    if value[:1] == "'" and value.lstrip("'")[:1] in INJECTION_LEADS:
        return value[1:]
    return value


def escape_cell(value: str) -> str:
    """The writer's side of `clean_cell`: `clean_cell(escape_cell(v)) == v` for any stripped v."""
    if value.lstrip("'")[:1] in INJECTION_LEADS:
        return "'" + value
    return value


ColumnMap = list[tuple[int, str]]  # (cell index, LearnerRow field)


def _match_header(cells: list[str], program: str) -> ColumnMap | None:
    """The column mapping if `cells` is a header row of `program`'s layout, else None."""
    keys = [header_key(cell) for cell in cells]
    matches = {p: sum(1 for k in keys if k and k in index) for p, index in _HEADERS.items()}
    if max(matches.values()) < MIN_HEADER_MATCHES:
        return None
    other = "board" if program == "rems" else "rems"
    if matches[other] > matches[program]:
        raise FileFormatError(
            f"The header row has the {_PROGRAM_LABEL[other]} columns, but the file was submitted "
            f"as {_PROGRAM_LABEL[program]}. Choose the matching submission type or template."
        )
    index = _HEADERS[program]
    named = {i: index[k] for i, k in enumerate(keys) if k in index}
    taken = set(named.values())
    columns = columns_for(program)
    for i, key in enumerate(keys):
        # An unrecognised header keeps the template's column at its position.
        if i in named or key in _REPORT_KEYS or i >= len(columns):
            continue
        name = columns[i][0]
        if name not in taken:
            named[i] = name
            taken.add(name)
    return sorted(named.items())


def _positional(program: str) -> ColumnMap:
    return [(i, name) for i, (name, _) in enumerate(columns_for(program))]


_ROW_FIELDS = [f.name for f in dataclasses.fields(LearnerRow)]  # row_number first


class _RowMaker:
    """Builds the LearnerRow of a plain line (no apostrophes, every column present) positionally.

    A file has thousands of lines: one C-level itemgetter over the stripped cells and positional
    arguments cost half what a dict of values and keyword arguments do.
    """

    def __init__(self, mapping: ColumnMap) -> None:
        cell_of = {name: i for i, name in mapping}  # a name taken twice keeps its last column
        used = [_ROW_FIELDS.index(name) for name in cell_of]
        # Fields in LearnerRow order up to the last one mapped; -1 picks the "" appended.
        plan = [cell_of.get(name, -1) for name in _ROW_FIELDS[1 : max(used, default=0) + 1]]
        self.width = max((i for i, _ in mapping), default=-1) + 1
        self.get = itemgetter(*plan) if len(plan) > 1 else None

    def fits(self, cells: list[str]) -> bool:
        return self.get is not None and len(cells) >= self.width and "'" not in "".join(cells)

    def __call__(self, number: int, cells: list[str]) -> LearnerRow:
        assert self.get is not None
        stripped = [cell.strip() for cell in cells]
        stripped.append("")
        # The getter yields string fields only, all of them before `raw`.
        return LearnerRow(number, *self.get(stripped), raw=tuple(cells))  # type: ignore[misc]


def _values(cells: list[str], mapping: ColumnMap) -> dict[str, str]:
    width = len(cells)
    values = {name: cells[i].strip() if i < width else "" for i, name in mapping}
    if "'" in "".join(cells):  # rare: only then look for a report's escaping apostrophe
        for name, value in values.items():
            if value[:1] == "'":
                values[name] = clean_cell(value)
    return values


def _looks_like_a_learner_row(cells: list[str]) -> bool:
    """Without a header, a row of the layout: an Add/Delete action, a 9-digit ACCME Activity ID
    or a completion date where the template puts them."""
    first, second, third = (clean_cell(c) for c in [*cells[:3], "", "", ""][:3])
    return (
        first.casefold() in ("add", "delete")
        or (len(second) == 9 and second.isdigit())
        or parse_date(third) is not None
    )


def _looks_like_guidance(values: dict[str, str]) -> bool:
    """A row of hints ("Add or Delete", "MM/DD/YYYY", …) rather than a learner.

    It takes two signs, so that a badly filled learner row (the very rows a rejected-rows report
    carries) is never mistaken for one.
    """
    action = values.get("record_action", "").casefold()
    if action in ("add", "delete"):
        return False
    signs = int("add" in action and "delete" in action)
    for name in ("completion_date", "birth_date"):
        hint = values.get(name, "").casefold()
        signs += "mm" in hint and "dd" in hint
    signs += sum(1 for value in values.values() if len(value.split()) >= 3) >= 3
    return signs >= 2


def _non_blank(lines: Iterable[tuple[int, list[str]]]) -> Iterable[tuple[int, list[str]]]:
    """Every row holding a value, however many blank rows come before it: a row after a long
    blank run (or a worksheet's formatting carried down) is still a learner's record."""
    for number, cells in lines:
        if "".join(cells).strip():
            yield number, cells


def rows_from_table(lines: Iterable[tuple[int, list[str]]], *, program: str) -> list[LearnerRow]:
    """Turn `(line number, raw cells)` into LearnerRows; raise FileFormatError for the file."""
    columns_for(program)
    stream = iter(_non_blank(lines))
    head = list(islice(stream, HEADER_SEARCH_ROWS))
    if not head:
        check_record_count(0)
    mapping, start, header_seen = _positional(program), 0, False
    for position, (_, cells) in enumerate(head):
        found = _match_header(cells, program)
        if found is not None:
            mapping, start, header_seen = found, position + 1, True
            break
    if not header_seen and not any(_looks_like_a_learner_row(cells) for _, cells in head):
        raise FileFormatError(
            f"Line {head[0][0]} is neither the learner template's header nor a learner row "
            "(Record Action, ACCME Activity ID, Completion Date, …). Use the template's columns, "
            "in its order."
        )
    rows = _data_rows(chain(head[start:], stream), mapping, header_seen=header_seen)
    check_record_count(len(rows))
    return rows


def _data_rows(
    lines: Iterable[tuple[int, list[str]]], mapping: ColumnMap, *, header_seen: bool
) -> list[LearnerRow]:
    limit = max_records()
    rows: list[LearnerRow] = []
    # Rows above the header were skipped; guidance may also sit just below it, or (without a
    # header) on the first rows.
    guidance_slots = 1 if header_seen else 2
    make = _RowMaker(mapping)
    for number, cells in lines:
        if not guidance_slots and make.fits(cells):
            rows.append(make(number, cells))
        else:
            values = _values(cells, mapping)
            if guidance_slots and _looks_like_guidance(values):
                guidance_slots -= 1
                continue
            guidance_slots = 0
            fields: dict[str, Any] = values
            rows.append(LearnerRow(row_number=number, raw=tuple(cells), **fields))
        if len(rows) > limit:
            break  # refused below; no need to read the rest
    return rows
