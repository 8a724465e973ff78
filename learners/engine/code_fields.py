"""Which learner-file columns each Appendix B code is about: the cells a screen marks at fault.

One table for every screen that shows a rejected row next to its values: manual entry marks the
fields at fault, the in-browser fix of rejected rows highlights the cells. Field names are the
`LearnerRow` fields (the columns of SPEC §2.1 and the REMS columns).

A few codes can be about one of several columns; the message the engine wrote says which:
- the codes whose message names its column (632, 673, 675, 714, 715) keep the column named
  before the first quoted value;
- 735 keeps the credit-type cell holding the quoted value, 680/681 the one holding the credit
  type they concern;
- 718 is narrowed by what the message says did not match.
Codes about no column of a file row (a Credit ID, the XML structure) mark the row as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from learners.engine.results import RowError
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS

_IDENTITY = ("first_name", "last_name", "birth_date", "licensing_state", "license_id", "board",
             "board_id", "learner_local_id")  # fmt: skip
_LICENCE = ("licensing_state", "license_id")
_POINTS = ("board_points", "credit_type_points", "additional_credit_type_points")
_CREDIT_TYPES = ("credit_type", "additional_credit_type")
_REMS_FIELDS = tuple(name for name, _ in REMS_COLUMNS[3:])  # Learner Local ID onwards
_COMPLETION = ("completion_date",)
_DUPLICATE = ("activity_id", "completion_date")

# code → the columns it may be about. A code absent from the table is about the row as a whole.
CODE_FIELDS: dict[str, tuple[str, ...]] = {
    "601": ("record_action",),
    "602": ("record_action",),
    "606": ("activity_id", "completion_date", "board_id", "license_id", "learner_local_id"),
    "607": ("record_action",),
    "621": ("board_id",),
    "622": ("first_name",),
    "623": ("last_name",),
    "624": ("birth_date",),
    "630": ("activity_id",),
    "631": _COMPLETION,
    "632": _POINTS,
    "661": ("board", "board_id"),
    "664": ("birth_date", "board_id"),
    "665": ("first_name", "last_name", "board_id"),
    "670": ("activity_id", "board"),
    "671": _COMPLETION,
    "672": _COMPLETION,
    "673": _POINTS,
    "674": ("board_points",),
    "675": _POINTS,
    "676": ("board",),
    "677": ("cme_credits", "board_points"),
    "680": _CREDIT_TYPES,
    "681": _CREDIT_TYPES,
    "690": ("activity_id",),
    "705": _COMPLETION,
    "706": _COMPLETION,
    "709": (*_DUPLICATE, "learner_local_id"),
    "710": ("board_points",),
    "711": ("board_points",),
    "712": ("license_id",),
    "714": _REMS_FIELDS,
    "715": _REMS_FIELDS,
    "716": ("activity_id",),
    "717": _DUPLICATE,
    "718": _IDENTITY,
    "719": ("birth_date",),
    "720": _LICENCE,
    "721": ("licensing_state",),
    "722": ("cme_credits",),
    "728": ("board",),
    "735": _CREDIT_TYPES,
    "737": ("first_name", "last_name", "birth_date"),
    "746": _COMPLETION,
    "747": _COMPLETION,
    "748": ("cme_credits",),
    "749": ("activity_id",),
    "750": _COMPLETION,
    "751": _DUPLICATE,
}
# Codes about the row as a whole, or about what a file row has no column for.
ROW_CODES = frozenset(
    {"603", "605", "650", "678", "738", "739", "740", "741", "742", "743", "744", "745", "998"}
)

_NAMED_COLUMN = frozenset({"632", "673", "675", "714", "715"})
_CREDIT_TYPE_WORDS = {"680": "patient safety", "681": "practice assessment"}
# 718: what did not match, as the matching rules word it (the first phrase found wins).
_UNMATCHED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("give an npi", (*_LICENCE, "board", "board_id")),
    ("different physicians", (*_LICENCE, "board", "board_id")),
    ("does not match", ("first_name", "last_name", "birth_date")),
    ("not a valid npi", ("license_id",)),
    ("npi ", ("license_id",)),
    ("licence", _LICENCE),
)
_QUOTED = re.compile(r"'([^']*)'")
HEADERS: dict[str, str] = dict(BOARD_COLUMNS) | dict(REMS_COLUMNS)


def fields_at_fault(
    error: RowError, values: Mapping[str, str], *, columns: tuple[tuple[str, str], ...]
) -> tuple[str, ...]:
    """The fields of `columns` the error is about (empty: the row as a whole).

    `values`: the row's values by field, which tell apart the cells a code may be about.
    """
    present = {name for name, _ in columns}
    candidates = tuple(name for name in CODE_FIELDS.get(error.code, ()) if name in present)
    if len(candidates) < 2:
        return candidates
    narrowed = _narrowed(error, candidates, values)
    return narrowed or candidates


def _narrowed(
    error: RowError, candidates: tuple[str, ...], values: Mapping[str, str]
) -> tuple[str, ...]:
    message = error.message
    if error.code in _NAMED_COLUMN:
        named = message.split("'", 1)[0]
        return tuple(name for name in candidates if HEADERS[name] in named)
    if error.code == "735":
        quoted = {text.strip().casefold() for text in _QUOTED.findall(message)}
        return tuple(n for n in candidates if values.get(n, "").strip().casefold() in quoted)
    if error.code in _CREDIT_TYPE_WORDS:
        word = _CREDIT_TYPE_WORDS[error.code]
        return tuple(n for n in candidates if word in values.get(n, "").casefold())
    if error.code == "718":
        lowered = message.casefold()
        for phrase, fields in _UNMATCHED:
            if phrase in lowered:
                return tuple(name for name in candidates if name in fields)
    return ()
