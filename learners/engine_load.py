"""Bulk look-ups for a window of rows: a handful of queries, never one per row.

Each loader turns query rows straight into the plain facts of engine_facts.py (values_list, no
model instances), so the rules can run over dictionaries.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from functools import reduce

from django.db.models import Q

from learners.engine_facts import (
    ADD,
    DELETE,
    ActivityFacts,
    BoardFacts,
    ExistingRecord,
    Judgement,
    MocFacts,
    RuleContext,
    Who,
)
from learners.engine_sql import any_of
from learners.matching import DirectoryIndex
from learners.models import (
    Activity,
    Board,
    CompletionRecord,
    CreditType,
    MocRegistration,
    RecordStatus,
)
from portal.models import Provider

_ACTIVITY_FIELDS = (
    "pk", "activity_id", "status", "start_date", "end_date", "credit_claim_date", "ama_credits",
    "rems_registered", "repeat_participation",
)  # fmt: skip
_RECORD_FIELDS = (
    "pk", "credit_id", "activity_id", "learner_id", "completion_date", "status", "board_id",
    "diplomate_id", "npi", "licensing_state", "license_id", "rems_learner_local_id",
)  # fmt: skip


def load_boards() -> dict[str, BoardFacts]:
    """Boards and their credit types, by casefolded acronym (two small queries per batch)."""
    types: dict[int, dict[str, str]] = defaultdict(dict)
    for board_pk, name in CreditType.objects.order_by().values_list("board_id", "name"):
        types[board_pk][name.casefold()] = name
    return {
        code.casefold(): BoardFacts(pk=pk, code=code, credit_types=types[pk])
        for pk, code in Board.objects.order_by().values_list("pk", "code")
    }


def load_activities(*, provider: Provider, activity_ids: Iterable[str]) -> dict[str, ActivityFacts]:
    """The provider's activities among `activity_ids`, with MOC registrations and credit types."""
    wanted = {a for a in activity_ids if len(a) == 9 and a.isdigit()}
    if not wanted:
        return {}
    rows = (
        Activity.objects.filter(any_of("activity_id", wanted), provider=provider)
        .order_by()
        .values_list(*_ACTIVITY_FIELDS)
    )
    registrations = (
        MocRegistration.objects.filter(
            any_of("activity__activity_id", wanted), activity__provider=provider
        )
        .order_by()
        .values_list("activity_id", "board_id", "board__code", "points", "credit_types__name")
    )
    moc: dict[int, dict[str, tuple[int, object, set[str]]]] = defaultdict(dict)
    for activity_pk, board_pk, code, points, type_name in registrations:
        entry = moc[activity_pk].setdefault(code, (board_pk, points, set()))
        if type_name:
            entry[2].add(type_name)
    facts = {}
    for pk, activity_id, status, start, end, claim, credits, rems, repeat in rows:
        boards = {
            code: MocFacts(board_pk=b, points=points, credit_types=frozenset(names))  # type: ignore[arg-type]
            for code, (b, points, names) in moc[pk].items()
        }
        facts[activity_id] = ActivityFacts(
            pk, activity_id, status, start, end, claim, credits, rems, repeat, moc=boards
        )
    return facts


def load_directory(index: DirectoryIndex, judgements: Sequence[Judgement]) -> DirectoryIndex:
    """Add the directory entries the window's identities point at (one query)."""
    identities = [j.identity for j in judgements if j.identity is not None]
    index.add(
        npis={i.npi for i in identities if i.npi},
        licences={i.licence for i in identities if i.licence},
        board_ids={i.board for i in identities if i.board},
    )
    return index


def load_records(
    *,
    provider: Provider,
    ctx: RuleContext,
    judgements: Sequence[Judgement],
    stored_before: int | None = None,
) -> None:
    """Stored records the duplicate and delete rules need, into `ctx` (one query).

    Three kinds are asked for at once: records holding the window's Credit IDs (any status), live
    records of the window's learners on its activities, and records a delete row without Credit ID
    may mean (its activity and date). Records this batch stored itself (an earlier window) are left
    out: the batch memory already knows them, and judging them as earlier rows keeps "check only"
    and "submit" answers equal. `stored_before` (the highest record id when the batch began)
    keeps them out of the query itself, so they aren't fetched only to be dropped.
    """
    wanted = _Wanted(judgements, stored_before)
    by_credit_id: dict[str, ExistingRecord] = {}
    by_key: dict[tuple[Who, int, date], list[ExistingRecord]] = defaultdict(list)
    by_completion: dict[tuple[Who, int], list[ExistingRecord]] = defaultdict(list)
    by_activity_date: dict[tuple[int, date], list[ExistingRecord]] = defaultdict(list)
    condition = wanted.condition()
    rows = (
        CompletionRecord.objects.filter(condition, provider=provider)
        .order_by()
        .values_list(*_RECORD_FIELDS)
        if condition is not None
        else ()
    )
    mine = ctx.batch.credit_ids
    for values in rows:
        record = ExistingRecord(*values)
        if record.credit_id in mine:
            continue
        if record.credit_id in wanted.credit_ids:
            by_credit_id[record.credit_id] = record
        if (record.activity_pk, record.completion_date) in wanted.delete_keys:
            by_activity_date[(record.activity_pk, record.completion_date)].append(record)
        who = record.who
        if who is None or not record.live:
            continue
        if who in wanted.whos and record.activity_pk in wanted.activity_pks:
            by_key[(who, record.activity_pk, record.completion_date)].append(record)
            by_completion[(who, record.activity_pk)].append(record)
    ctx.records_by_credit_id = by_credit_id
    ctx.live_by_key = by_key
    ctx.live_by_completion = by_completion
    ctx.records_by_activity_date = by_activity_date


class _Wanted:
    """What a window of rows needs to know about stored records."""

    def __init__(self, judgements: Sequence[Judgement], stored_before: int | None) -> None:
        self.stored_before = stored_before
        adds = [j for j in judgements if j.action == ADD]
        self.credit_ids = {j.credit_id for j in adds}
        self.credit_ids |= {j.row.credit_id.strip() for j in judgements if j.row.credit_id.strip()}
        self.activity_pks = {j.activity.pk for j in adds if j.activity is not None}
        self.whos = {j.who for j in adds} - {None}
        self.delete_keys = {
            (j.activity.pk, j.completion)
            for j in judgements
            if j.action == DELETE and not j.row.credit_id.strip() and j.activity and j.completion
        }

    def condition(self) -> Q | None:
        parts = []
        earlier = Q() if self.stored_before is None else Q(pk__lte=self.stored_before)
        if self.credit_ids:
            parts.append(Q(any_of("credit_id", self.credit_ids)))
        learner_ids = {w for w in self.whos if isinstance(w, int)}
        local_ids = {w[1] for w in self.whos if isinstance(w, tuple)}
        if self.activity_pks and learner_ids:
            parts.append(
                Q(any_of("activity_id", self.activity_pks), any_of("learner_id", learner_ids))
                & ~Q(status=RecordStatus.DELETED)
                & earlier
            )
        if self.activity_pks and local_ids:
            parts.append(
                Q(any_of("activity_id", self.activity_pks))
                & Q(any_of("rems_learner_local_id", local_ids), learner__isnull=True)
                & ~Q(status=RecordStatus.DELETED)
                & earlier
            )
        if self.delete_keys:
            parts.append(
                Q(
                    any_of("activity_id", {a for a, _ in self.delete_keys}),
                    any_of("completion_date", {d for _, d in self.delete_keys}),
                )
                & earlier
            )
        return reduce(operator.or_, parts) if parts else None
