"""Bulk look-ups for a window of rows: a handful of queries, never one per row.

Each loader turns query rows straight into the plain facts of facts.py (values_list, no
model instances), so the rules can run over dictionaries.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_migrate, post_save

from activities.models import Activity
from learners.engine.facts import (
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
from learners.engine.matching import DirectoryIndex
from learners.engine.sql import any_of, at_most, each_of, equals, pairs_in, slotted_rows
from learners.models import Board, CompletionRecord, CreditType, RecordCreditId
from portal.models import Provider

_ACTIVITY_FIELDS = (
    "pk", "activity_id", "status", "start_date", "end_date", "credit_claim_date", "ama_credits",
    "rems_registered", "repeat_participation", "providership",
)  # fmt: skip
_REGISTRATION_FIELDS = (
    "moc_registrations__board_id", "moc_registrations__board__code", "moc_registrations__points",
    "moc_registrations__credit_types__name",
)  # fmt: skip
_RECORD_FIELDS = (
    "pk", "credit_id", "activity_id", "learner_id", "completion_date", "status", "board_id",
    "diplomate_id", "npi", "licensing_state", "license_id", "rems_learner_local_id", "upload_id",
    "source_row", "moc_points",
)  # fmt: skip


# Boards and credit types are reference data (ACCME's list, loaded by migration): a web-service
# call would otherwise spend as long reading them as judging its row. They are kept per process
# for a minute, and forgotten at once when this process saves or deletes one or flushes the
# database (tests); another process's admin edit shows within the minute.
BOARDS_TTL = 60.0
_boards: tuple[float, dict[str, BoardFacts]] | None = None


def load_boards() -> dict[str, BoardFacts]:
    """Boards and their credit types, by casefolded acronym (one query, then kept a minute)."""
    global _boards
    cached, now = _boards, time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    types: dict[int, dict[str, str]] = defaultdict(dict)
    type_ids: dict[int, dict[str, int]] = defaultdict(dict)
    codes: dict[int, str] = {}
    rows = Board.objects.order_by().values_list(
        "pk", "code", "credit_types__name", "credit_types__pk"
    )
    for pk, code, name, type_pk in rows:
        codes[pk] = code
        if name is not None:
            types[pk][name.casefold()] = name
            type_ids[pk][name.casefold()] = type_pk
    boards = {
        code.casefold(): BoardFacts(
            pk=pk, code=code, credit_types=types[pk], credit_type_ids=type_ids[pk]
        )
        for pk, code in codes.items()
    }
    _boards = (now + BOARDS_TTL, boards)
    return boards


def forget_boards(**kwargs: object) -> None:
    """Drop the kept boards (a signal receiver: any board or credit type saved or deleted)."""
    global _boards
    _boards = None


for _model in (Board, CreditType):
    _uid = f"learners.engine.load.forget_boards.{_model.__name__}"
    post_save.connect(forget_boards, sender=_model, dispatch_uid=f"{_uid}.save")
    post_delete.connect(forget_boards, sender=_model, dispatch_uid=f"{_uid}.delete")
post_migrate.connect(
    forget_boards, dispatch_uid="learners.engine.load.forget_boards.migrate"
)  # also sent by flush


def load_activities(*, provider: Provider, activity_ids: Iterable[str]) -> dict[str, ActivityFacts]:
    """The provider's activities among `activity_ids`, with MOC registrations and credit types.

    One query: an activity comes back once per registration and credit type (LEFT JOINs).
    """
    wanted = {a for a in activity_ids if len(a) == 9 and a.isdigit()}
    if not wanted:
        return {}
    values = {"activity_ids": list(wanted), "provider": provider.pk}
    rows = slotted_rows("activities", _activities_query, values)
    found: dict[int, tuple] = {}
    moc: dict[int, dict[str, tuple[int, object, set[str]]]] = defaultdict(dict)
    for row in rows:
        pk = row[0]
        found.setdefault(pk, row[: len(_ACTIVITY_FIELDS)])
        board_pk, code, points, type_name = row[len(_ACTIVITY_FIELDS) :]
        if board_pk is None:
            continue
        entry = moc[pk].setdefault(code, (board_pk, points, set()))
        if type_name:
            entry[2].add(type_name)
    facts = {}
    for (
        pk,
        activity_id,
        status,
        start,
        end,
        claim,
        credits,
        rems,
        repeat,
        providership,
    ) in found.values():
        boards = {
            code: MocFacts(board_pk=b, points=points, credit_types=frozenset(names))  # type: ignore[arg-type]
            for code, (b, points, names) in moc[pk].items()
        }
        facts[activity_id] = ActivityFacts(
            pk, activity_id, status, start, end, claim, credits, rems, repeat, moc=boards,
            providership=providership,
        )  # fmt: skip
    return facts


def _activities_query(values: Mapping[str, Any]) -> QuerySet:
    return (
        Activity.objects.filter(
            any_of("activity_id", values["activity_ids"]), equals("provider_id", values["provider"])
        )
        .order_by()
        .values_list(*_ACTIVITY_FIELDS, *_REGISTRATION_FIELDS)
    )


def load_directory(index: DirectoryIndex, judgements: Sequence[Judgement]) -> DirectoryIndex:
    """Add the directory entries the window's identities point at (one query)."""
    identities = [j.identity for j in judgements if j.identity is not None]
    index.add(
        npis={i.npi for i in identities if i.npi},
        me_numbers={i.me_number for i in identities if i.me_number},
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
    by_credit_id: dict[str, list[ExistingRecord]] = defaultdict(list)
    by_key: dict[tuple[Who, int, date], list[ExistingRecord]] = defaultdict(list)
    by_completion: dict[tuple[Who, int], list[ExistingRecord]] = defaultdict(list)
    by_activity_date: dict[tuple[int, date], list[ExistingRecord]] = defaultdict(list)
    shape = wanted.shape()
    rows = (
        slotted_rows(("records", shape), partial(_records_query, shape), wanted.values(provider))
        if any(shape[:4])
        else ()
    )
    mine = ctx.batch.credit_ids
    seen: set[int] = set()
    for values in rows:
        if values[0] in seen:  # a record two kinds of look-up found
            continue
        seen.add(values[0])
        record = ExistingRecord(*values)
        if record.credit_id in mine:
            continue
        if record.credit_id in wanted.credit_ids:
            by_credit_id[record.credit_id].append(record)
        if (record.activity_pk, record.completion_date) in wanted.delete_keys:
            by_activity_date[(record.activity_pk, record.completion_date)].append(record)
        who = record.who
        if who is None or not record.live:
            continue
        if who in wanted.whos and record.activity_pk in wanted.activity_pks:
            by_key[(who, record.activity_pk, record.completion_date)].append(record)
            by_completion[(who, record.activity_pk)].append(record)
    _add_held_credit_ids(provider, wanted, by_credit_id, mine)
    ctx.records_by_credit_id = by_credit_id
    ctx.live_by_key = by_key
    ctx.live_by_completion = by_completion
    ctx.records_by_activity_date = by_activity_date


def _add_held_credit_ids(
    provider: Provider,
    wanted: _Wanted,
    by_credit_id: dict[str, list[ExistingRecord]],
    mine: Mapping[str, object],
) -> None:
    """Records holding a sender's Credit ID as a further certificate's (one query, XML only)."""
    if not wanted.given_ids:
        return
    fields = [f"record__{name}" if name != "pk" else "record_id" for name in _RECORD_FIELDS]
    held = (
        RecordCreditId.objects.filter(
            each_of("credit_id", wanted.given_ids), equals("provider_id", provider.pk)
        )
        .order_by()
        .values_list("credit_id", *fields)
    )
    for credit_id, *values in held:
        if credit_id in mine:
            continue
        record = ExistingRecord(*values)
        if all(r.pk != record.pk for r in by_credit_id[credit_id]):
            by_credit_id[credit_id].append(record)


class _Wanted:
    """What a window of rows needs to know about stored records."""

    def __init__(self, judgements: Sequence[Judgement], stored_before: int | None) -> None:
        self.stored_before = stored_before
        judgements = [j for j in judgements if not j.unreadable]
        adds = [j for j in judgements if j.action == ADD]
        self.credit_ids = {j.credit_id for j in adds}
        self.credit_ids |= {j.row.credit_id.strip() for j in judgements if j.row.credit_id.strip()}
        # Credit IDs senders gave (XML, web services): also held as further certificates' ids.
        self.given_ids = {c for j in judgements if j.row.from_xml for c in j.credit_ids}
        self.given_ids |= {j.row.credit_id.strip() for j in judgements if j.row.from_xml}
        self.given_ids.discard("")
        self.credit_ids |= self.given_ids
        self.activity_pks = {j.activity.pk for j in adds if j.activity is not None}
        self.whos = {j.who for j in adds} - {None}
        # The (activity, learner) pairs the adds name: their live records are asked for exactly.
        completions = {(j.activity.pk, j.who) for j in adds if j.activity and j.who is not None}
        self.learner_pairs = sorted((a, w) for a, w in completions if isinstance(w, int))
        self.local_pairs = sorted((a, w[1]) for a, w in completions if isinstance(w, tuple))
        self.delete_keys = {
            (j.activity.pk, j.completion)
            for j in judgements
            if j.action == DELETE and not j.row.credit_id.strip() and j.activity and j.completion
        }

    def shape(self) -> tuple[bool, bool, bool, bool, bool]:
        """Which kinds of stored record are asked for, and whether only those from before."""
        return (
            bool(self.credit_ids),
            bool(self.learner_pairs),
            bool(self.local_pairs),
            bool(self.delete_keys),
            self.stored_before is not None,
        )

    def values(self, provider: Provider) -> dict[str, Any]:
        return {
            "provider": provider.pk,
            "credit_ids": list(self.credit_ids),
            "learner_activity_pks": [a for a, _ in self.learner_pairs],
            "learner_ids": [w for _, w in self.learner_pairs],
            "local_activity_pks": [a for a, _ in self.local_pairs],
            "local_ids": [w for _, w in self.local_pairs],
            "delete_activity_pks": list({a for a, _ in self.delete_keys}),
            "delete_dates": list({d for _, d in self.delete_keys}),
            "stored_before": self.stored_before,
        }


def _records_query(shape: tuple[bool, bool, bool, bool, bool], v: Mapping[str, Any]) -> QuerySet:
    """The stored records a window needs (see load_records), for a `_Wanted.shape()`.

    One query, a UNION ALL of a part per kind, so each part reads its own index: the Credit
    IDs the provider's key, the learners' live completions the one-live-completion indexes (by
    exact pairs). A record two parts find comes twice.
    """
    credit_ids, learners, local_ids, deletes, before = shape
    records = CompletionRecord.objects.filter(equals("provider_id", v["provider"]))
    earlier = records.filter(at_most("pk", v["stored_before"])) if before else records
    parts: list[QuerySet] = []
    if credit_ids:
        parts.append(records.filter(each_of("credit_id", v["credit_ids"])))
    if learners:
        parts.append(
            earlier.filter(
                pairs_in(
                    ("activity_id", "learner_id"), (v["learner_activity_pks"], v["learner_ids"])
                ),
                learner__isnull=False,
                live=True,
            )
        )
    if local_ids:
        local = ("activity_id", "rems_learner_local_id")
        parts.append(
            earlier.filter(
                pairs_in(local, (v["local_activity_pks"], v["local_ids"])),
                learner__isnull=True,
                live=True,
            ).exclude(rems_learner_local_id="")
        )
    if deletes:
        parts.append(
            earlier.filter(
                any_of("activity_id", v["delete_activity_pks"]),
                any_of("completion_date", v["delete_dates"]),
            )
        )
    rows = [part.order_by().values_list(*_RECORD_FIELDS) for part in parts]
    return rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]
