"""PARS's own tab-delimited activity layout, "Template D" (reporting year 2015 on), as provider
software in the wild writes it (SPEC §4b).

One activity per row, no header (a header, if present, has numbered labels such as
"1. Template (DO NOT ALTER OR DELETE THIS COLUMN)"); the first column says "Template D". What the
portal keeps is read; the rest (outcomes, competencies, commercial support sources) is accepted
and ignored. A row updates only the fields this layout carries: an existing activity keeps its
end date, MOC registrations and the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from activities.inputs import ActivityInput

TEMPLATE = "template d"
_NUMBERED_LABEL = re.compile(r"^\s*1\s*\.\s*template\b", re.IGNORECASE)
# 1-based column → ActivityInput field.
COLUMNS: dict[int, str] = {
    2: "accme_activity_id",
    3: "provider_activity_id",
    4: "reporting_year",
    5: "title",
    6: "start_date",
    7: "city",
    8: "state",
    9: "country",
    10: "providership",
    11: "format_name",
    13: "physicians",
    14: "other_learners",
    15: "commercial_support",
    29: "joint_providers",
    30: "ama_credits",
    31: "description",
}
# A course's Activity Date is its date: the start and the end.
ONE_DAY_TYPES = frozenset({"c", "il"})
_CARRIED = frozenset(name for name in COLUMNS.values() if name != "reporting_year")
_IDS = frozenset({"accme_activity_id", "provider_activity_id"})


def is_template_d(lines: list[tuple[int, list[str]]]) -> bool:
    """Detected from the first column: "Template D", or the numbered header of its first column."""
    for _, cells in lines[:2]:
        first = cells[0].strip() if cells else ""
        if first.casefold() == TEMPLATE or _NUMBERED_LABEL.match(first):
            return True
    return False


def inputs_from_template_d(lines: Iterable[tuple[int, list[str]]]) -> list[ActivityInput]:
    items = []
    for number, cells in lines:
        first = cells[0].strip() if cells else ""
        if not "".join(cells).strip() or _NUMBERED_LABEL.match(first):
            continue
        items.append(_input(number, cells))
    return items


def _input(number: int, cells: list[str]) -> ActivityInput:
    values: dict[str, Any] = {name: _cell(cells, column) for column, name in COLUMNS.items()}
    joint = tuple(p.strip() for p in re.split(r"[;|]", values.pop("joint_providers")) if p.strip())
    # One of the two ids names the activity: a blank one is not a change of it.
    carried = {name for name in _CARRIED if values.get(name) or name not in _IDS}
    if values["format_name"].casefold() in ONE_DAY_TYPES:
        values["end_date"] = values["start_date"]
        carried.add("end_date")
    return ActivityInput(
        row_number=number,
        template=_cell(cells, 1),
        **values,
        joint_providers=joint,
        carried=frozenset(carried),
        raw=tuple(cells),
    )


def _cell(cells: list[str], column: int) -> str:
    return cells[column - 1].strip() if len(cells) >= column else ""
