"""`ActivityInput`: the one shape every door turns an activity into before the rules judge it.

Every value is the trimmed string as sent ('' when absent), so a bad value reaches the rules and
gets its Appendix A code instead of a door-specific message. `input_from_activity` writes a stored
activity back into the same shape: the screens change one part of it (a board, the status) and
send the whole activity through the same Update as every other door.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from activities.models import Activity

ADD, UPDATE, DELETE = "Add", "Update", "Delete"
ACTIONS = {"add": ADD, "update": UPDATE, "delete": DELETE}


@dataclass(frozen=True, slots=True)
class MocInput:
    board: str = ""
    points: str = ""
    credit_types: tuple[str, ...] = ()
    practice_area: str = ""


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """One activity as sent; `carried` names the fields the door sends at all (None: every one)."""

    row_number: int = 0
    action: str = ""
    status: str = ""  # the status asked for; '' lets the data decide (see rules.target_status)
    close: str = ""  # SaveActivity's closeActivityRecord, as sent
    accme_activity_id: str = ""
    provider_activity_id: str = ""
    reporting_year: str = ""  # '' means the start date's year
    title: str = ""
    format_name: str = ""
    start_date: str = ""
    end_date: str = ""
    credit_claim_date: str = ""
    ama_credits: str = ""
    description: str = ""
    url: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    providership: str = ""
    joint_providers: tuple[str, ...] = ()
    commercial_support: str = ""
    physicians: str = ""
    other_learners: str = ""
    specialties: tuple[str, ...] = ()
    rems: str = ""
    moc: tuple[MocInput, ...] = ()
    template: str = ""  # a Template D row's first column ('' for every other door)
    carried: frozenset[str] | None = None
    raw: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def identifier(self) -> str:
        """What PARS's MEMS messages call the entry: the provider's id, else PARS's; a pasted id
        far over the limit is shown by its start, not repeated whole in every message."""
        shown = self.provider_activity_id or self.accme_activity_id or "(no id)"
        return shown if len(shown) <= IDENTIFIER_SHOWN else f"{shown[:IDENTIFIER_SHOWN]}…"


IDENTIFIER_SHOWN = 60

MERGEABLE = tuple(
    f.name
    for f in dataclasses.fields(ActivityInput)
    if f.name not in ("row_number", "action", "status", "close", "template", "carried", "raw")
)


def with_stored(item: ActivityInput, stored: ActivityInput) -> ActivityInput:
    """An Update from a door that carries only some fields keeps the stored values of the rest."""
    if item.carried is None:
        return item
    kept = {name: getattr(stored, name) for name in MERGEABLE if name not in item.carried}
    return dataclasses.replace(item, **kept, carried=None)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    # Two decimals for amounts, as PARS's GetActivity answers them ("2.00").
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def input_from_activity(activity: Activity) -> ActivityInput:
    """The stored activity in the shape the rules judge, as an Update would send it back."""
    # .all() everywhere: a caller that prefetched (services.with_registrations) pays no query.
    registrations = sorted(activity.moc_registrations.all(), key=lambda r: r.board.code)
    return ActivityInput(
        action=UPDATE,
        status=activity.status,
        accme_activity_id=activity.activity_id,
        provider_activity_id=activity.provider_activity_id,
        title=activity.title,
        format_name=activity.format.name,
        start_date=_day(activity.start_date),
        end_date=_day(activity.end_date),
        credit_claim_date=_day(activity.credit_claim_date),
        ama_credits=_number(activity.ama_credits),
        description=activity.description,
        url=activity.url,
        city=activity.city,
        state=activity.state,
        country=activity.country,
        providership=activity.providership,
        joint_providers=tuple(activity.joint_provider_names),
        commercial_support=_yes_no(activity.commercial_support),
        physicians=_number(activity.physician_count),
        other_learners=_number(activity.other_learner_count),
        specialties=tuple(sorted(s.name for s in activity.specialties.all())),
        rems="yes" if activity.rems_registered else "",
        moc=tuple(
            MocInput(
                board=r.board.code,
                points=_number(r.points),
                credit_types=tuple(sorted(t.name for t in r.credit_types.all())),
                practice_area=r.practice_area.name if r.practice_area else "",
            )
            for r in registrations
        ),
    )
