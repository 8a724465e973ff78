"""Activities for tests: a valid one, and defects that each break it in one known way."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from activities.inputs import ActivityInput, MocInput

TODAY = date(2026, 11, 22)


def good_activity(n: int = 1, *, year: int = 2026, board: str = "ABIM") -> ActivityInput:
    """A complete Active live course of `year` (ending after TODAY when `year` is 2026)."""
    return ActivityInput(
        action="Add",
        provider_activity_id=f"ACT-{year}-{n:04d}",
        title=f"Cardiology Update {n}",
        format_name="Live Course",
        start_date=f"{year}-03-01",
        end_date=f"{year}-12-20",
        credit_claim_date=f"{year + 1}-01-31",
        ama_credits="10",
        providership="direct",
        description="Updates in heart failure and arrhythmia care.",
        city="Chicago",
        state="IL",
        country="USA",
        specialties=("Cardiology",),
        commercial_support="no",
        moc=(MocInput(board, "10", ("Medical Knowledge",)),) if board else (),
    )


Defect = Callable[[ActivityInput], ActivityInput]


def _set(**changes: object) -> Defect:
    return lambda item: dataclasses.replace(item, **changes)  # type: ignore[arg-type]


# A defect per row kind of the batch tests, with the one code it must get.
DEFECTS: list[tuple[str, Defect]] = [
    ("203", _set(title="")),
    ("311", _set(format_name="Podcast")),
    ("469", _set(end_date="2026-02-01")),
    ("475", _set(credit_claim_date="2026-12-01")),
    ("468", _set(ama_credits="2.1")),
    ("312", _set(providership="sponsored")),
    ("304", _set(specialties=("Astrology",))),
    ("319", _set(moc=(MocInput("ABIM", "2.1", ("Medical Knowledge",)),))),
    ("456", _set(moc=(MocInput("ABX", "2", ()),))),
    ("461", _set(start_date="2024-03-01", end_date="2024-12-20", credit_claim_date="")),
]


def defective(n: int, item: ActivityInput) -> tuple[ActivityInput, str]:
    code, defect = DEFECTS[n % len(DEFECTS)]
    return defect(item), code


def fixed(item: ActivityInput, code: str) -> ActivityInput:
    """The correction a member of staff makes to a rejected row."""
    good = good_activity()
    fields = {
        "203": {"title": "Corrected title"},
        "311": {"format_name": "Live Course"},
        "469": {"end_date": good.end_date},
        "475": {"credit_claim_date": good.credit_claim_date},
        "468": {"ama_credits": "2"},
        "312": {"providership": "joint", "joint_providers": ("Lakeshore Society",)},
        "304": {"specialties": ("Cardiology",)},
        "319": {"moc": good.moc},
        "456": {"moc": good.moc},
        "461": {"start_date": good.start_date, "end_date": good.end_date, "credit_claim_date": ""},
    }[code]
    return dataclasses.replace(item, **fields)  # type: ignore[arg-type]
