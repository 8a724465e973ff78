"""The board lifecycle (SPEC §6): Submitted MOC records go to their certifying board overnight.

`board_cycle_run` transmits every Submitted MOC record (and any still Transmitted) to a simulated
board per certifying board, which approves or rejects each by its own rules. The plainly valid
records (the board id is the matched physician's own, the points within the offer) are approved
by set-based UPDATEs, a part of neighbouring records per statement; the rest go in chunks, a
transaction each, judged one by one in Python by the rules that write the board's codes. Both
steps are shared between BOARD_CYCLE_WORKERS connections. A record is written once, from
Submitted straight to its answer, in place: no index names the status (see
CompletionRecord.live). Every move is a conditional UPDATE on the current status, so two runs (or
a retried task) never handle a record twice, and a run that died half-way is finished by the
next one. Rejections are emailed to each provider's primary contact, once per provider per run,
after the statuses are stored: the emails are queued as record ids and rendered and sent by a
retrying task (emails/), so a mail-server hiccup delays them but does not lose them, and
rendering thousands of emails does not hold up the cycle; a run that dies before queueing leaves
the rejections (with their codes) on the screens only.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Trim
from django.utils import timezone

from activities.models import MocRegistration
from emails.messages import board_rejection_emails
from learners.engine.codes import error
from learners.engine.matching import Identity, Person, board_id_problems
from learners.engine.results import RowError
from learners.engine.rules import points_over_offer
from learners.engine.sql import any_of, array_literal, pairs_in
from learners.models import CompletionRecord, LearnerBoardId, RecordStatus
from portal.collector import collector_paused
from portal.models import Provider

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
# Passes of the set-based approval, each its own transaction (see `_approval_blocks`): with 15%
# of each page free, a sixth of a full page's records fit in place at a time.
APPROVAL_PASSES = 6
# What the board has yet to answer: sent tonight (Submitted) or left by a run that died.
AWAITING = (RecordStatus.SUBMITTED, RecordStatus.TRANSMITTED)


@dataclass(frozen=True)
class Submission:
    """What the board receives for one record."""

    record_id: int
    board: str
    board_pk: int
    board_id: str
    activity_id: str
    completion_date: date
    points: Decimal | None
    learner: Person | None  # the directory learner the record was matched to


def board_decision(
    submission: Submission, *, diplomate: Person | None, offered_points: Decimal | None
) -> list[RowError]:
    """The board's verdict on one submission: no errors means approved.

    The board looks its diplomate up by id and compares name and birthday exactly as intake
    matching does (the engine's own rule), then the points against the activity's offer. A
    second completion of one learner, activity and date can't reach it: the database refuses it
    at intake (709).
    """
    errors: list[RowError] = []
    learner = submission.learner
    if learner is None and diplomate is not None:
        errors.append(error("718", identity=f"{submission.board} {submission.board_id}"))
    else:
        identity = Identity(
            first_key=learner.first_key if learner else "",
            last_key=learner.last_key if learner else "",
            birth=(learner.birth_month, learner.birth_day) if learner else (0, 0),
            board=(submission.board_pk, submission.board_id),
            board_code=submission.board,
            name=learner.name if learner else "",
        )
        errors.extend(board_id_problems(identity, diplomate))
    if offered_points is None:
        errors.append(error("670", activity_id=submission.activity_id, board=submission.board))
    elif submission.points is not None:
        over = points_over_offer(
            submission.points,
            offered_points,
            activity_id=submission.activity_id,
            board=submission.board,
        )
        errors.extend([over] if over else [])
    return errors


@dataclass
class CycleSummary:
    transmitted: int = 0
    approved: int = 0
    rejected: int = 0
    emails: int = 0
    # The records rejected in this run, by provider id: what each provider's email lists.
    rejections: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, other: CycleSummary) -> None:
        """Count in what another share of the same run did."""
        self.transmitted += other.transmitted
        self.approved += other.approved
        self.rejected += other.rejected
        for provider_id, ids in other.rejections.items():
            self.rejections[provider_id] = sorted([*self.rejections[provider_id], *ids])


def _records(provider: Provider | None) -> QuerySet[CompletionRecord]:
    """Every provider's records (the nightly run), or one provider's (its sandbox clock)."""
    records = CompletionRecord.objects.all()
    return records if provider is None else records.for_provider(provider)


def board_records_transmit(*, provider: Provider | None = None) -> int:
    """Submitted → Transmitted for every MOC record (of one provider), in one conditional UPDATE."""
    return (
        _records(provider)
        .filter(status=RecordStatus.SUBMITTED, board__isnull=False)
        .update(status=RecordStatus.TRANSMITTED, updated_at=timezone.now())
    )


# What the board needs of each Transmitted record: plain values, one query per chunk.
_FIELDS = (
    "pk", "provider_id", "activity_id", "board_id", "diplomate_id", "completion_date", "moc_points",
    "board__code", "activity__activity_id", "learner_id",
    "learner__first_name", "learner__last_name", "learner__first_name_key",
    "learner__last_name_key", "learner__birth_month", "learner__birth_day",
)  # fmt: skip
_LEARNER_FIELDS = (
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "birth_month",
    "birth_day",
)
Row = dict[str, Any]


def _person(pk: int | None, values: Row, prefix: str) -> Person | None:
    """The directory learner named by `prefix`-ed values (learner__…), if there is one."""
    if pk is None:
        return None
    first, last, first_key, last_key, month, day = (values[prefix + f] for f in _LEARNER_FIELDS)
    return Person(pk, first_key, last_key, month, day, name=f"{first} {last}")


def _diplomates(rows: Sequence[Row]) -> dict[tuple[int, str], Person | None]:
    """The board's diplomates named by the chunk's records, by (board, exact id), one query."""
    named = {(r["board_id"], r["diplomate_id"].strip()) for r in rows}
    found = (
        LearnerBoardId.objects.filter(
            pairs_in(("board_id", "diplomate_id"), ([b for b, _ in named], [d for _, d in named]))
        )
        .order_by()
        .values(
            "board_id", "diplomate_id", "learner_id", *(f"learner__{f}" for f in _LEARNER_FIELDS)
        )
    )
    return {
        (b["board_id"], b["diplomate_id"]): _person(b["learner_id"], b, "learner__") for b in found
    }


def _offered_points(rows: Sequence[Row]) -> dict[tuple[int, int], Decimal]:
    offers = {(r["activity_id"], r["board_id"]) for r in rows}
    registrations = (
        MocRegistration.objects.filter(
            pairs_in(("activity_id", "board_id"), ([a for a, _ in offers], [b for _, b in offers]))
        )
        .order_by()
        .values_list("activity_id", "board_id", "points")
    )
    return {(activity, board): points for activity, board, points in registrations}


def _submission(row: Row) -> Submission:
    return Submission(
        record_id=row["pk"],
        board=row["board__code"],
        board_pk=row["board_id"],
        board_id=row["diplomate_id"].strip(),
        activity_id=row["activity__activity_id"],
        completion_date=row["completion_date"],
        points=row["moc_points"],
        learner=_person(row["learner_id"], row, "learner__"),
    )


def _plainly_valid(records: QuerySet[CompletionRecord]) -> QuerySet[CompletionRecord]:
    """Records the board approves for certain: the board id is held by the very physician the
    record was matched to (so name and birthday agree), and the points are within the offer.
    Anything else goes through `board_decision`, which says what is wrong.

    Two EXISTS without an OR between them, which PostgreSQL runs as hash semi-joins: a night's
    records are answered in one pass, not by a lookup per record.
    """
    holder = LearnerBoardId.objects.filter(
        board_id=OuterRef("board_id"),
        learner_id=OuterRef("learner_id"),
        diplomate_id=Trim(OuterRef("diplomate_id")),
    )
    # Offered points are positive (a constraint): a record without points is within any offer.
    offer = MocRegistration.objects.filter(
        activity_id=OuterRef("activity_id"),
        board_id=OuterRef("board_id"),
        points__gte=Coalesce(OuterRef("moc_points"), Value(Decimal(0))),
    )
    return records.filter(Exists(holder), Exists(offer))


def _approval_blocks(
    awaiting: QuerySet[CompletionRecord], ids: Sequence[int]
) -> list[list[QuerySet[CompletionRecord]]]:
    """The awaiting records to approve (`ids`, in order), in blocks of neighbours by id, each
    block in APPROVAL_PASSES parts that take every n-th record (CHUNK_SIZE records a part).

    A page's records are neighbours by id, so each committed part answers a few of them: the
    next part finds the old versions dead, PostgreSQL prunes them, and its answers fit in the
    page too. After a deadline day a page may hold nothing but records awaiting a board; in one
    statement only the first answers would fit and the rest would be written to every index.
    A part is named by its ids, so it is read through the key, not by a scan of the table.
    Blocks share no page, so two connections may answer two blocks at once. One part on SQLite.
    """
    if connection.vendor != "postgresql":
        return [[awaiting]]
    records = CompletionRecord.objects.filter(status__in=AWAITING)
    size = CHUNK_SIZE * APPROVAL_PASSES
    blocks = [ids[start : start + size] for start in range(0, len(ids), size)]
    parts = [[block[part::APPROVAL_PASSES] for part in range(APPROVAL_PASSES)] for block in blocks]
    return [[records.filter(any_of("id", part)) for part in block if part] for block in parts]


def _approve(valid: QuerySet[CompletionRecord], summary: CycleSummary) -> list[int]:
    """Approve every record of `valid` still awaiting an answer, in one UPDATE on PostgreSQL;
    returns the ids of the records approved."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        before = dict(valid.select_for_update(of=("self",)).values_list("pk", "status"))
        CompletionRecord.objects.filter(pk__in=before).update(
            status=RecordStatus.APPROVED, board_codes=[], updated_at=now
        )
    else:
        before = _approve_at_once(valid, now)
    counts = Counter(before.values())
    summary.approved += len(before)
    summary.transmitted += counts.get(RecordStatus.SUBMITTED, 0)
    return list(before)


def _approve_at_once(valid: QuerySet[CompletionRecord], now: datetime) -> dict[int, str]:
    """One UPDATE … RETURNING: the records it moved, with the status each had before."""
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    chosen, params = valid.order_by().values("pk", "status").query.sql_with_params()
    with connection.cursor() as cursor:
        # The status re-checked on the row itself: a record another run answered meanwhile is
        # left alone. `chosen` keeps the status it had, to count the records sent tonight.
        cursor.execute(
            f"WITH moved AS (UPDATE {table} AS r SET status = %s, board_codes = '[]'::jsonb, "  # noqa: S608
            f"updated_at = %s FROM ({chosen}) AS chosen (id, before) "
            "WHERE r.id = chosen.id AND r.status IN (%s, %s) RETURNING r.id, chosen.before) "
            "SELECT id, before FROM moved",
            [RecordStatus.APPROVED, now, *params, *AWAITING],
        )
        return dict(cursor.fetchall())


def _judge_chunk(before: dict[int, str], summary: CycleSummary) -> None:
    """Judge records one by one (`before`: their ids and the statuses they had when chosen)."""
    rest = (
        CompletionRecord.objects.filter(any_of("pk", before), status__in=AWAITING)
        .select_for_update(of=("self",))
        .order_by()
        .values(*_FIELDS)
    )
    moved = _judge_one_by_one(list(rest), summary)
    summary.transmitted += sum(1 for pk in moved if before[pk] == RecordStatus.SUBMITTED)


def _judge_one_by_one(rows: Sequence[Row], summary: CycleSummary) -> list[int]:
    """`board_decision` for each record, then one UPDATE per kind of verdict; returns the ids."""
    if not rows:
        return []
    diplomates = _diplomates(rows)
    offered = _offered_points(rows)
    approved_ids: list[int] = []
    rejected: dict[int, tuple[Row, list[RowError]]] = {}
    for row in rows:
        submission = _submission(row)
        errors = board_decision(
            submission,
            diplomate=diplomates.get((submission.board_pk, submission.board_id)),
            offered_points=offered.get((row["activity_id"], submission.board_pk)),
        )
        if errors:
            rejected[row["pk"]] = (row, errors)
        else:
            approved_ids.append(row["pk"])
    summary.approved += CompletionRecord.objects.filter(any_of("pk", approved_ids)).update(
        status=RecordStatus.APPROVED, board_codes=[], updated_at=timezone.now()
    )
    stored = _reject(rejected)
    for pk in stored:
        row, _ = rejected[pk]
        summary.rejected += 1
        summary.rejections[row["provider_id"]].append(pk)
    return approved_ids + stored


def _reject(rejected: dict[int, tuple[Row, list[RowError]]]) -> list[int]:
    """Store each rejection with its codes; returns the records this run moved (another run
    may have answered some first). One UPDATE on PostgreSQL, one per record elsewhere."""
    codes = {
        pk: [{"code": e.code, "message": e.message} for e in errors]
        for pk, (_, errors) in rejected.items()
    }
    if not codes:
        return []
    if connection.vendor == "postgresql":
        return _reject_at_once(codes)
    waiting = CompletionRecord.objects.filter(status__in=AWAITING)
    return [
        pk
        for pk, found in codes.items()
        if waiting.filter(pk=pk).update(
            status=RecordStatus.REJECTED, board_codes=found, updated_at=timezone.now()
        )
    ]


def _reject_at_once(codes: dict[int, list[dict[str, str]]]) -> list[int]:
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET status = %s, board_codes = v.codes::jsonb, "  # noqa: S608
            "updated_at = %s FROM unnest(%s::bigint[], %s::text[]) AS v(id, codes) "
            "WHERE r.id = v.id AND r.status IN (%s, %s) RETURNING r.id",
            [
                RecordStatus.REJECTED, timezone.now(), array_literal(codes),
                array_literal(json.dumps(found) for found in codes.values()), *AWAITING,
            ],  # each list one array literal: psycopg would quote it element by element
        )  # fmt: skip
        return sorted(row[0] for row in cursor.fetchall())


def board_answers_receive(summary: CycleSummary, *, provider: Provider | None = None) -> None:
    """The simulated boards judge every Submitted or Transmitted MOC record (of one provider):
    the plainly valid approved set-based, in a few passes, the others oldest first, a chunk per
    transaction; both steps shared between BOARD_CYCLE_WORKERS connections (see `_shared`)."""
    with collector_paused():
        _answer(summary, _records(provider).filter(status__in=AWAITING, board__isnull=False))


def _answer(summary: CycleSummary, awaiting: QuerySet[CompletionRecord]) -> None:
    # One read of what awaits (and the status it had); what the passes approve is struck off,
    # and the rest is judged. A record answered meanwhile by another run is left alone by
    # both steps (each re-checks the status on the row); one that arrives later waits a night.
    waiting = dict(awaiting.order_by("pk").values_list("pk", "status"))
    for share, approved in _shared(_approve_blocks, _approval_blocks(awaiting, list(waiting))):
        summary.add(share)
        for pk in approved:
            waiting.pop(pk, None)
    rest = list(waiting.items())
    chunks = [dict(rest[start : start + CHUNK_SIZE]) for start in range(0, len(rest), CHUNK_SIZE)]
    for share in _shared(_judge_chunks, chunks):
        summary.add(share)


def _approve_blocks(
    blocks: Sequence[Sequence[QuerySet[CompletionRecord]]],
) -> tuple[CycleSummary, list[int]]:
    """Approve the plainly valid of each block, a part per transaction; and the ids approved.

    The first part of every block, then the second of every block, and so on: a page's old
    versions can be pruned (making room for the next part's answers) only once no statement
    running when they died is still running, and another connection's may be. Between two
    parts of one block, the parts of the other blocks give those statements time to end.
    """
    summary, approved = CycleSummary(), []
    for position in range(max((len(block) for block in blocks), default=0)):
        for block in blocks:
            if position < len(block):
                with transaction.atomic():
                    approved += _approve(_plainly_valid(block[position]), summary)
    return summary, approved


def _judge_chunks(chunks: Sequence[dict[int, str]]) -> CycleSummary:
    summary = CycleSummary()
    for chunk in chunks:
        with transaction.atomic():
            _judge_chunk(chunk, summary)
    return summary


Work = TypeVar("Work")
Done = TypeVar("Done")


def _shared(work: Callable[[list[Work]], Done], items: list[Work]) -> list[Done]:
    """`work` over `items`, split between BOARD_CYCLE_WORKERS threads with a connection each
    (every n-th item to each), so the database answers on every core it has.

    In this thread alone inside a transaction (a thread's connection could not see what the
    transaction holds, nor be rolled back with it), on SQLite, or for a single item.
    """
    workers = min(settings.BOARD_CYCLE_WORKERS, len(items))
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [work(items)]

    def share(k: int) -> Done:
        try:
            return work(items[k::workers])
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="board-cycle") as pool:
        return list(pool.map(share, range(workers)))


def board_cycle_run(*, today: date, provider: Provider | None = None) -> CycleSummary:
    """The nightly job: transmit Submitted MOC records, take the boards' answers, email rejections.

    With `provider`, the same cycle for that provider's records only (the sandbox clock).
    """
    summary = CycleSummary()
    board_answers_receive(summary, provider=provider)
    summary.emails = board_rejection_emails(rejected=summary.rejections, today=today)
    logger.info(
        "Board cycle %s%s: %d transmitted, %d approved, %d rejected, %d emails",
        today,
        f" for provider {provider.accme_id}" if provider else "",
        summary.transmitted,
        summary.approved,
        summary.rejected,
        summary.emails,
    )
    return summary


def board_cycle_run_for_provider(*, provider: Provider, today: date) -> CycleSummary:
    """Run the board cycle now for one provider's records (the sandbox clock)."""
    return board_cycle_run(today=today, provider=provider)


def board_cycle_waiting(*, provider: Provider) -> dict[str, int]:
    """How many of the provider's MOC records wait for each step of the cycle."""
    waiting = _records(provider).filter(board__isnull=False)
    return {
        "submitted": waiting.filter(status=RecordStatus.SUBMITTED).count(),
        "transmitted": waiting.filter(status=RecordStatus.TRANSMITTED).count(),
    }
