"""Completion records and their Credit IDs, generated activity by activity.

A record's status follows its number: about 11% Submitted (on MOC activities) as before a night's
board cycle, and Accepted, Approved, Rejected and Deleted in the shares a provider sees over three
reporting years (none Transmitted: a finished cycle leaves none). Submitted records name the board id their learner holds, so the nightly board cycle
approves most and rejects the few that carry another physician's id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sandbox.bench.rows import (
    BOARD_COUNT,
    DAYS_PER_ACTIVITY,
    Reference,
    Sizes,
    board_index,
    diplomate_id,
    has_moc,
    npi,
    provider_of,
    start_date,
)

ONE = Decimal("1.00")
_NO_JSON = "[]"
_MOC_BANDS = (
    (12, "submitted"), (50, "approved"), (55, "rejected"), (60, "deleted"),
)  # fmt: skip
_REJECTED_CODES = json.dumps([{"code": "1106", "message": "The board id does not match."}])


@dataclass(frozen=True)
class Slot:
    """Where record number `number` sits: its activity and its place among that one's records."""

    number: int
    activity: int
    provider: int
    place: int


def records_of(activity: int, sizes: Sizes) -> int:
    """The big provider's records are spread over its activities, everyone else's over theirs."""
    if activity < sizes.big_activities:
        total, count, index = sizes.big_records, sizes.big_activities, activity
    else:
        total = sizes.records - sizes.big_records
        count = sizes.activities - sizes.big_activities
        index = activity - sizes.big_activities
    return total // count + (1 if index < total % count else 0)


def parts(sizes: Sizes, count: int) -> list[tuple[range, int]]:
    """The activities cut in `count` runs of about as many records: (activities, first number)."""
    per_part = sizes.records / count
    cuts: list[tuple[range, int]] = []
    number, start = 0, 0
    for activity in range(sizes.activities):
        if number >= per_part * (len(cuts) + 1) and len(cuts) < count - 1:
            cuts.append((range(start, activity), _first_number(cuts, sizes)))
            start = activity
        number += records_of(activity, sizes)
    cuts.append((range(start, sizes.activities), _first_number(cuts, sizes)))
    return cuts


def _first_number(cuts: list[tuple[range, int]], sizes: Sizes) -> int:
    if not cuts:
        return 0
    activities, first = cuts[-1]
    return first + sum(records_of(a, sizes) for a in activities)


def slots(sizes: Sizes, activities: range | None = None, first: int = 0) -> Iterator[Slot]:
    number = first
    for activity in activities if activities is not None else range(sizes.activities):
        provider = provider_of(activity, sizes)
        for place in range(records_of(activity, sizes)):
            yield Slot(number, activity, provider, place)
            number += 1


def credit_id(number: int) -> str:
    return f"B{number:09d}"


def status_of(slot: Slot) -> str:
    band = (slot.number * 37) % 100
    if not has_moc(slot.activity):
        return "deleted" if band < 5 else "accepted"
    for upper, status in _MOC_BANDS:
        if band < upper:
            return status
    return "accepted"


def learner_of(slot: Slot, sizes: Sizes) -> int:
    """A learner holding the activity's board id; distinct for each (activity, date)."""
    per_board = sizes.learners // BOARD_COUNT
    base = (slot.activity * 7919) % per_board
    step = slot.place // DAYS_PER_ACTIVITY
    return ((base + step) % per_board) * BOARD_COUNT + board_index(slot.activity)


def record_row(slot: Slot, sizes: Sizes, ref: Reference) -> tuple[object, ...]:
    """learners_completionrecord, in the column order of `RECORD_COLUMNS`."""
    status = status_of(slot)
    learner = learner_of(slot, sizes)
    completed = start_date(slot.activity) + timedelta(days=slot.place % DAYS_PER_ACTIVITY)
    stamp = datetime.combine(completed, time(12), tzinfo=UTC) + timedelta(
        seconds=slot.number % 36_000, days=1
    )
    moc = status in ("submitted", "approved", "rejected")
    board = ref.boards[board_index(slot.activity)] if moc else None
    if moc:
        # One Submitted record in fifty names another physician's id: the board rejects it.
        holder = learner + BOARD_COUNT if slot.number % 50 == 0 else learner
        diplomate = diplomate_id(holder % sizes.learners)
        credits = json.dumps([{"type": ref.credit_types[board][1], "points": "1.00"}])  # type: ignore[index]
    return (
        slot.number + 1, slot.provider + 1, slot.activity + 1, learner + 1, credit_id(slot.number),
        completed, ONE, "", "", "" if moc else npi(learner), board, diplomate if moc else "",
        ONE if moc else None, credits if moc else _NO_JSON, "", "", "", "", "", "", None, status,
        _REJECTED_CODES if status == "rejected" else _NO_JSON, "file", None, None, stamp, stamp,
    )  # fmt: skip


RECORD_COLUMNS = (
    "id", "provider_id", "activity_id", "learner_id", "credit_id", "completion_date",
    "ama_credits", "licensing_state", "license_id", "npi", "board_id", "diplomate_id",
    "moc_points", "moc_credits", "rems_learner_local_id", "rems_profession", "rems_practice_area",
    "rems_dea_registration", "rems_practice_state", "rems_time_in_practice",
    "rems_performs_surgery", "status", "board_codes", "source", "upload_id", "source_row",
    "created_at", "updated_at",
)  # fmt: skip


def records(
    sizes: Sizes, ref: Reference, part: tuple[range, int] | None = None
) -> Iterator[tuple[object, ...]]:
    for slot in slots(sizes, *(part or (None, 0))):
        yield record_row(slot, sizes, ref)


def record_credit_ids(
    sizes: Sizes, part: tuple[range, int] | None = None
) -> Iterator[tuple[object, ...]]:
    """learners_recordcreditid: every record holds its own Credit ID ("stored once")."""
    for slot in slots(sizes, *(part or (None, 0))):
        yield slot.number + 1, slot.provider + 1, credit_id(slot.number), slot.number + 1
