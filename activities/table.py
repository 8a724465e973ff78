"""The portal's activity template: one activity per row, the register form's fields as columns.

Read from a tab-delimited `.txt` or the first sheet of an `.xlsx` (the learners' readers decode
them); written as the downloadable template (a guidance row, the header, drop-downs for format,
boards, credit types and the yes/no columns) and as the rejected-rows report, which reads back
to the same values. A header row is expected but may be missing (then columns are positional);
our report's `Error Codes` / `Error Messages` columns are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from activities.inputs import MERGEABLE, ActivityInput, MocInput
from learners.formats.table import clean_cell, header_key

LIST_SEPARATOR = ";"
MOC_SLOTS = ("", "Second ", "Third ")
COLUMNS: tuple[tuple[str, str], ...] = (
    ("action", "Record Action"),
    ("accme_activity_id", "ACCME Activity ID"),
    ("provider_activity_id", "Provider Activity ID"),
    ("title", "Activity Title"),
    ("format_name", "Activity Format"),
    ("start_date", "Start Date"),
    ("end_date", "End Date"),
    ("credit_claim_date", "Credit Claim Date"),
    ("ama_credits", "AMA PRA Category 1 Credits"),
    ("providership", "Providership"),
    ("joint_providers", "Joint Provider Names"),
    ("description", "Description"),
    ("url", "URL"),
    ("city", "City"),
    ("state", "State"),
    ("country", "Country"),
    ("specialties", "Specialties"),
    ("commercial_support", "Commercial Support"),
    ("physicians", "Number of Physicians"),
    ("other_learners", "Number of Other Learners"),
    ("rems", "REMS"),
    ("status", "Status"),
    *(
        (f"moc{slot}_{part}", f"{prefix}MOC {label}")
        for slot, prefix in enumerate(MOC_SLOTS)
        for part, label in (
            ("board", "Board"), ("points", "Points"), ("credit_types", "Credit Types"),
            ("practice_area", "Practice Area"),
        )
    ),
)  # fmt: skip
GUIDANCE: dict[str, str] = {
    "action": "Blank to add or update by id; Delete to delete",
    "accme_activity_id": "Blank for a new activity",
    "provider_activity_id": "Your own id (at most 50 characters)",
    "format_name": "Pick from the list",
    "start_date": "MM/DD/YYYY",
    "end_date": "MM/DD/YYYY",
    "credit_claim_date": "MM/DD/YYYY (blank: the end date)",
    "ama_credits": "In steps of 0.25",
    "providership": "Direct or Joint",
    "joint_providers": "Names, separated by ;",
    "country": "ISO 3166 alpha-3 (USA)",
    "state": "2-letter code in the USA",
    "specialties": "Separated by ;",
    "commercial_support": "Yes or No",
    "physicians": "Whole number (to close)",
    "other_learners": "Whole number (to close)",
    "rems": "Yes or No (blank: as registered)",
    "status": "Draft, Active, Ready to Close, Closed (blank: as the data allows)",
    **{
        f"moc{slot}_board": "Board acronym (all blank: boards as registered)"
        for slot in range(len(MOC_SLOTS))
    },
    **{f"moc{slot}_points": "In steps of 0.25" for slot in range(len(MOC_SLOTS))},
    **{f"moc{slot}_credit_types": "Separated by ;" for slot in range(len(MOC_SLOTS))},
}
LIST_FIELDS = frozenset({"joint_providers", "specialties"})
HEADER_SEARCH_ROWS = 4
MIN_HEADER_MATCHES = 3
_INDEX = {header_key(title): name for name, title in COLUMNS}
_IGNORED = frozenset({header_key("Error Codes"), header_key("Error Messages")})


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(LIST_SEPARATOR) if part.strip())


def _header(cells: list[str]) -> dict[int, str] | None:
    keys = [header_key(cell) for cell in cells]
    if sum(1 for key in keys if key in _INDEX) < MIN_HEADER_MATCHES:
        return None
    return {i: _INDEX[key] for i, key in enumerate(keys) if key in _INDEX and key not in _IGNORED}


def inputs_from_table(lines: Iterable[tuple[int, list[str]]]) -> list[ActivityInput]:
    """Rows of cells (blank rows skipped, header optional) → ActivityInputs."""
    rows = [(n, cells) for n, cells in lines if "".join(cells).strip()]
    mapping = dict(enumerate(name for name, _ in COLUMNS))
    start = 0
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _header(cells)
        if found is not None:
            mapping, start = found, position + 1
            break
    return [_input(number, cells, mapping) for number, cells in rows[start:]]


def _input(number: int, cells: list[str], mapping: dict[int, str]) -> ActivityInput:
    values = {name: clean_cell(cells[i]) if i < len(cells) else "" for i, name in mapping.items()}
    moc = tuple(
        MocInput(
            board=values.get(f"moc{slot}_board", ""),
            points=values.get(f"moc{slot}_points", ""),
            credit_types=_split(values.get(f"moc{slot}_credit_types", "")),
            practice_area=values.get(f"moc{slot}_practice_area", ""),
        )
        for slot in range(len(MOC_SLOTS))
    )
    plain: dict[str, Any] = {
        k: v for k, v in values.items() if not k.startswith("moc") and k not in LIST_FIELDS
    }
    given_moc = tuple(m for m in moc if m.board or m.points or m.credit_types or m.practice_area)
    return ActivityInput(
        row_number=number,
        **plain,
        joint_providers=_split(values.get("joint_providers", "")),
        specialties=_split(values.get("specialties", "")),
        moc=given_moc,
        carried=_carried(given_moc, values.get("rems", "")),
        raw=tuple(cells),
    )


def _carried(moc: tuple[MocInput, ...], rems: str) -> frozenset[str] | None:
    """Blank MOC columns, or a blank REMS column, keep an updated activity's registrations: a
    row updating the title alone must not drop its boards and REMS without a word. ("No" in the
    REMS column unregisters; a board is removed on the activity's page.)"""
    left_out = ({"moc"} if not moc else set()) | ({"rems"} if not rems.strip() else set())
    return frozenset(MERGEABLE) - left_out if left_out else None


def template_values(item: ActivityInput) -> list[str]:
    """An activity in the template's columns (XML activities too, for the rejected-rows report)."""
    values = {name: getattr(item, name, "") for name, _ in COLUMNS if hasattr(item, name)}
    values["joint_providers"] = f"{LIST_SEPARATOR} ".join(item.joint_providers)
    values["specialties"] = f"{LIST_SEPARATOR} ".join(item.specialties)
    if item.close.strip().casefold() in ("true", "1", "yes"):
        values["status"] = "Closed"
    for slot, moc in enumerate(item.moc[: len(MOC_SLOTS)]):
        values[f"moc{slot}_board"] = moc.board
        values[f"moc{slot}_points"] = moc.points
        values[f"moc{slot}_credit_types"] = f"{LIST_SEPARATOR} ".join(moc.credit_types)
        values[f"moc{slot}_practice_area"] = moc.practice_area
    return [str(values.get(name, "")) for name, _ in COLUMNS]


def header_row() -> list[str]:
    return [title for _, title in COLUMNS]


def guidance_row() -> list[str]:
    return [GUIDANCE.get(name, "") for name, _ in COLUMNS]


def column_index(name: str) -> int:
    return [n for n, _ in COLUMNS].index(name)


def rows_for(items: Sequence[ActivityInput]) -> list[list[str]]:
    return [template_values(item) for item in items]
