"""The plain facts activity rules judge against: reference data and the stored activity.

Loaded in bulk (activities/load.py) before the rules run, so every rule is a pure function of
an `ActivityInput` and these frozen shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from learners.engine.codes import error


@dataclass(frozen=True, slots=True)
class ActivityError:
    """One Appendix A code, its message, and the ActivityInput field it is about ('' = none)."""

    code: str
    message: str
    field: str = ""


def fail(field_name: str, code: str, **detail: object) -> ActivityError:
    """The error for a code of the one registry (learners/engine/codes.py), tied to a field."""
    found = error(code, **detail)
    return ActivityError(code=found.code, message=found.message, field=field_name)


@dataclass(frozen=True, slots=True)
class BoardRef:
    pk: int
    code: str
    credit_types: Mapping[str, int]  # casefolded name → id
    practice_areas: Mapping[str, int]  # casefolded name → id; empty when the board asks none


@dataclass(frozen=True, slots=True)
class FormatRef:
    pk: int
    code: str
    name: str


@dataclass(frozen=True)
class Lookups:
    """Reference data, case-folded: formats by name or code, boards by acronym, specialties."""

    formats: Mapping[str, FormatRef]
    boards: Mapping[str, BoardRef]
    specialties: Mapping[str, int]
    rems_allowed: bool = False  # the provider takes part in Opioid Analgesic REMS


@dataclass(frozen=True, slots=True)
class ExistingActivity:
    """A stored activity, as far as the rules care."""

    pk: int
    activity_id: str
    provider_activity_id: str
    status: str
    reporting_year: int
    format_id: int
    live_records: int = 0
    all_records: int = 0
    boards_with_records: frozenset[str] = frozenset()
    rems_records: int = 0
    # What the live records hold, which an Update may not leave outside the activity's bounds.
    first_completion: date | None = None
    last_completion: date | None = None
    most_ama_credits: Decimal | None = None
    most_points: Mapping[str, Decimal] = field(default_factory=dict)  # by board code
    # By board code: the credit types learners were given, casefolded → as stored.
    types_used: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class CleanMoc:
    board_pk: int
    code: str
    points: Decimal
    credit_type_ids: list[int]
    practice_area_id: int | None = None


@dataclass(slots=True)
class CleanActivity:
    """An activity's values once the rules have read them, in model terms (None: not given)."""

    title: str = ""
    provider_activity_id: str = ""
    format: FormatRef | None = None
    start_date: date | None = None
    end_date: date | None = None
    credit_claim_date: date | None = None
    ama_credits: Decimal | None = None
    description: str = ""
    url: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    providership: str = ""
    joint_providers: list[str] = field(default_factory=list)
    commercial_support: bool | None = None
    physician_count: int | None = None
    other_learner_count: int | None = None
    specialty_ids: list[int] = field(default_factory=list)
    rems: bool = False
    moc: list[CleanMoc] = field(default_factory=list)
    status: str = ""
