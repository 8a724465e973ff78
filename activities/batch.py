"""A batch of activities from a file: judged with the same rules as every door, stored one by one.

What a file does differently from SaveActivity, as PARS's batch upload does:
- a row whose Provider Activity ID (or ACCME Activity ID) already exists updates that activity,
  even when it says Add; a row naming an ACCME Activity ID that doesn't exist is 104;
- the same id twice in one file is 477 (the later rows);
- a layout that carries only some fields (Template D) updates only those.
Look-ups are done per chunk in bulk; each accepted activity is stored in its own transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from activities.facts import ActivityError, ExistingActivity, Lookups, fail
from activities.inputs import (
    ACTIONS,
    ADD,
    DELETE,
    UPDATE,
    ActivityInput,
    input_from_activity,
    with_stored,
)
from activities.load import activity_lookups, existing_activities
from activities.models import Activity, own_id_key
from activities.services import activity_store, with_registrations
from activities.status import judge
from portal.models import Provider

CHUNK_SIZE = 250


@dataclass
class ActivityRowResult:
    item: ActivityInput
    action: str = ""
    errors: list[ActivityError] = field(default_factory=list)
    activity_id: str = ""  # the ACCME Activity ID stored (or that would be, when checking)

    @property
    def accepted(self) -> bool:
        return not self.errors


@dataclass
class BatchOutcome:
    results: list[ActivityRowResult]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.accepted)

    @property
    def rejected(self) -> int:
        return len(self.results) - self.accepted


def batch_action(
    item: ActivityInput,
    by_accme: dict[str, ExistingActivity],
    by_own: dict[str, ExistingActivity],
) -> ActivityInput:
    """The row's action as a file means it: a known id updates (even an Add), a new one adds."""
    action = ACTIONS.get(item.action.strip().casefold(), item.action) if item.action else ""
    if action not in ("", ADD, UPDATE, DELETE):
        return item  # 102 from the rules
    accme_id = item.accme_activity_id
    known = by_own.get(own_id_key(item.provider_activity_id))
    if not accme_id and known is not None:
        accme_id = known.activity_id
    if action == DELETE:
        return dataclasses.replace(item, action=DELETE, accme_activity_id=accme_id)
    if accme_id:
        return dataclasses.replace(item, action=UPDATE, accme_activity_id=accme_id)
    return dataclasses.replace(item, action=UPDATE if action == UPDATE else ADD)


def duplicate_key(item: ActivityInput) -> str:
    return own_id_key(item.provider_activity_id) or f"#{item.accme_activity_id}"


def activity_rows_process(
    *,
    provider: Provider,
    items: Sequence[ActivityInput],
    today: date,
    store: bool = True,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """Judge every activity of a file and (unless `store` is False) store the accepted ones."""
    lookups = activity_lookups(provider)
    seen: set[str] = set()
    results: list[ActivityRowResult] = []
    for start in range(0, len(items), chunk_size):
        chunk = items[start : start + chunk_size]
        results += _chunk(provider, chunk, lookups, seen, today=today, store=store)
        if on_progress is not None:
            on_progress(len(results))
    return BatchOutcome(results=results)


def _chunk(
    provider: Provider,
    chunk: Sequence[ActivityInput],
    lookups: Lookups,
    seen: set[str],
    *,
    today: date,
    store: bool,
) -> list[ActivityRowResult]:
    found = existing_activities(
        provider,
        accme_ids=[i.accme_activity_id for i in chunk],
        provider_activity_ids=[i.provider_activity_id for i in chunk],
    )
    by_accme = {a.activity_id: a for a in found}
    by_own = {own_id_key(a.provider_activity_id): a for a in found}
    stored = _stored_inputs(provider, chunk, by_accme, by_own)
    results = []
    for raw_item in chunk:
        key = duplicate_key(raw_item)
        if key in seen and key != "#":
            value = raw_item.provider_activity_id or raw_item.accme_activity_id
            results.append(
                ActivityRowResult(
                    raw_item, errors=[fail("provider_activity_id", "477", value=value)]
                )
            )
            continue
        seen.add(key)
        results.append(_row(provider, raw_item, lookups, by_accme, by_own, stored, today, store))
    return results


def _row(
    provider: Provider,
    raw_item: ActivityInput,
    lookups: Lookups,
    by_accme: dict[str, ExistingActivity],
    by_own: dict[str, ExistingActivity],
    stored: dict[str, ActivityInput],
    today: date,
    store: bool,
) -> ActivityRowResult:
    item = batch_action(raw_item, by_accme, by_own)
    existing = by_accme.get(item.accme_activity_id)
    if item.action == UPDATE and existing is not None and existing.activity_id in stored:
        item = with_stored(item, stored[existing.activity_id])
    other = by_own.get(own_id_key(item.provider_activity_id))
    taken_by = other.activity_id if other is not None and other is not existing else None
    judged = judge(item, lookups=lookups, existing=existing, taken_by=taken_by, today=today)
    # The report writes the row as it came in, not as merged with the stored activity.
    result = ActivityRowResult(raw_item, action=judged.action, errors=judged.errors)
    if not judged.accepted or not store:
        result.activity_id = existing.activity_id if existing else ""
        return result
    outcome = activity_store(provider=provider, judged=judged, existing=existing, item=item)
    result.errors = outcome.errors
    if outcome.activity is not None:
        result.activity_id = outcome.activity.activity_id
    elif judged.action == DELETE and existing is not None:
        result.activity_id = existing.activity_id
    return result


def _stored_inputs(
    provider: Provider,
    chunk: Sequence[ActivityInput],
    by_accme: dict[str, ExistingActivity],
    by_own: dict[str, ExistingActivity],
) -> dict[str, ActivityInput]:
    """The stored values of activities that rows carrying only some fields will update."""
    wanted = set()
    for item in chunk:
        if item.carried is None:
            continue
        known = by_accme.get(item.accme_activity_id) or by_own.get(
            own_id_key(item.provider_activity_id)
        )
        if known is not None:
            wanted.add(known.activity_id)
    if not wanted:
        return {}
    activities = with_registrations(
        Activity.objects.for_provider(provider).filter(activity_id__in=wanted)
    )
    return {a.activity_id: input_from_activity(a) for a in activities}
