"""Bulk look-ups for one chunk of rows: a handful of queries, never one per row.

Each loader turns query rows straight into the plain facts of engine_facts.py (values_list, no
model instances), so the rules can run over dictionaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from learners.engine_facts import (
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
    for pk, activity_id, *rest in rows:
        boards = {
            code: MocFacts(board_pk=b, points=points, credit_types=frozenset(names))  # type: ignore[arg-type]
            for code, (b, points, names) in moc[pk].items()
        }
        facts[activity_id] = ActivityFacts(pk, activity_id, *rest, moc=boards)
    return facts


def load_directory(index: DirectoryIndex, judgements: Sequence[Judgement]) -> DirectoryIndex:
    """Add the directory entries the chunk's identities point at (one query per kind of id)."""
    identities = [j.identity for j in judgements if j.identity is not None]
    index.add(
        npis={i.npi for i in identities if i.npi},
        licences={i.licence for i in identities if i.licence},
        board_ids={i.board for i in identities if i.board},
    )
    return index


def load_records(*, provider: Provider, ctx: RuleContext, judgements: Sequence[Judgement]) -> None:
    """Stored records the duplicate and delete rules need, into `ctx`.

    Records this batch stored itself (an earlier chunk) are left out: the batch memory already
    knows them, and judging them as earlier rows keeps "check only" and "submit" answers equal.
    """
    mine = ctx.batch.credit_ids
    credit_ids = {j.credit_id for j in judgements if j.action == "add"}
    credit_ids |= {j.row.credit_id.strip() for j in judgements if j.row.credit_id.strip()}
    records = CompletionRecord.objects.filter(provider=provider)
    by_credit_id = {}
    if credit_ids:
        for values in (
            records.filter(any_of("credit_id", credit_ids)).order_by().values_list(*_RECORD_FIELDS)
        ):
            record = ExistingRecord(*values)
            if record.credit_id not in mine:
                by_credit_id[record.credit_id] = record
    ctx.records_by_credit_id = by_credit_id
    _load_live(records, ctx, [j for j in judgements if j.action == "add"])
    _load_delete_candidates(records, ctx, [j for j in judgements if j.action == "delete"])


def _load_live(records, ctx: RuleContext, adds: list[Judgement]) -> None:  # type: ignore[no-untyped-def]
    activity_pks = {j.activity.pk for j in adds if j.activity is not None}
    learner_ids = {j.learner_id for j in adds if j.learner_id is not None}
    local_ids = {
        j.rems["rems_learner_local_id"]
        for j in adds
        if j.rems and "rems_learner_local_id" in j.rems
    }
    by_key: dict[tuple[Who, int, date], list[ExistingRecord]] = defaultdict(list)
    by_completion: dict[tuple[Who, int], list[ExistingRecord]] = defaultdict(list)
    if activity_pks and (learner_ids or local_ids):
        live = records.filter(any_of("activity_id", activity_pks)).exclude(
            status=RecordStatus.DELETED
        )
        live = (
            live.filter(any_of("learner_id", learner_ids))
            if learner_ids
            else live.filter(any_of("rems_learner_local_id", local_ids), learner__isnull=True)
        )
        for values in live.order_by().values_list(*_RECORD_FIELDS):
            record = ExistingRecord(*values)
            who = record.who
            if who is None or record.credit_id in ctx.batch.credit_ids:
                continue
            by_key[(who, record.activity_pk, record.completion_date)].append(record)
            by_completion[(who, record.activity_pk)].append(record)
    ctx.live_by_key = by_key
    ctx.live_by_completion = by_completion


def _load_delete_candidates(records, ctx: RuleContext, deletes: list[Judgement]) -> None:  # type: ignore[no-untyped-def]
    wanted = [j for j in deletes if not j.row.credit_id.strip() and j.activity and j.completion]
    by_activity_date: dict[tuple[int, date], list[ExistingRecord]] = defaultdict(list)
    if wanted:
        candidates = records.filter(
            any_of("activity_id", {j.activity.pk for j in wanted if j.activity}),
            any_of("completion_date", {j.completion for j in wanted}),
        )
        for values in candidates.order_by().values_list(*_RECORD_FIELDS):
            record = ExistingRecord(*values)
            by_activity_date[(record.activity_pk, record.completion_date)].append(record)
    ctx.records_by_activity_date = by_activity_date
