"""The learner record engine's services: validate, store and process batches of LearnerRows.

Every entrance (file uploads, web services, manual entry) calls these, so a row gets the same
codes wherever it came from. Rows are judged in windows of up to LOOKUP_WINDOW rows (a whole
upload): per window a fixed handful of bulk queries (activities, directory, stored records), never
one per row. Accepted rows are then stored chunk by chunk, one COPY each.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from learners.engine import rules
from learners.engine.facts import (
    ADD,
    DELETE,
    ActivityFacts,
    BatchMemory,
    BoardFacts,
    Judgement,
    RuleContext,
)
from learners.engine.load import (
    load_activities,
    load_boards,
    load_directory,
    load_records,
)
from learners.engine.matching import DirectoryIndex
from learners.engine.programs import Program
from learners.engine.results import RowError, RowResult
from learners.engine.rows import LearnerRow
from learners.engine.store import insert_records, record_values
from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider

__all__ = [
    "BatchOutcome",
    "RowError",
    "RowResult",
    "StoreSummary",
    "learner_rows_process",
    "learner_rows_store",
    "learner_rows_validate",
]

CHUNK_SIZE = 500
# Rows are looked up (activities, directory, stored records) in windows of this many: a whole
# upload (settings.UPLOAD_MAX_RECORDS) in one go. Storing and progress still go chunk by chunk.
LOOKUP_WINDOW = 2500


@dataclass
class StoreSummary:
    added: int = 0
    deleted: int = 0
    already_stored: int = 0  # accepted rows a previous run of the same batch had stored

    def __iadd__(self, other: StoreSummary) -> StoreSummary:
        self.added += other.added
        self.deleted += other.deleted
        self.already_stored += other.already_stored
        return self


@dataclass
class BatchOutcome:
    results: list[RowResult] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    stored: StoreSummary = field(default_factory=StoreSummary)


class _BatchJudge:
    """Judges the windows of one batch, remembering what earlier rows accepted.

    What doesn't change during a batch is looked up once and kept: boards, activities, and the
    directory entries already asked for.
    """

    def __init__(
        self,
        *,
        provider: Provider,
        program: str,
        today: date,
        credit_id_prefix: str,
        upload_id: int | None = None,
    ) -> None:
        self.provider = provider
        self.upload_id = upload_id
        self.program = program
        self.today = today
        self.credit_id_prefix = credit_id_prefix
        self.boards: dict[str, BoardFacts] = load_boards()
        self.batch = BatchMemory()
        self.activities: dict[str, ActivityFacts] = {}
        self.missing: set[str] = set()
        self.directory = DirectoryIndex()
        self.stored_before: int | None = None

    def storing(self) -> None:
        """This batch will store as it goes: note where the records stored before it end."""
        latest = CompletionRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.stored_before = latest or 0

    def judge(self, rows: Sequence[LearnerRow]) -> list[RowResult]:
        """The three passes of the rules over a window, each after the look-ups it needs."""
        ctx = RuleContext(
            today=self.today,
            program=self.program,
            boards=self.boards,
            activities=self._activities(rows),
            batch=self.batch,
            upload_id=self.upload_id,
        )
        judgements = [self._start(row) for row in rows]
        for j in judgements:
            rules.judge_fields(j, ctx)
        ctx.directory = load_directory(self.directory, judgements)
        for j in judgements:
            rules.judge_identity(j, ctx)
        load_records(
            provider=self.provider,
            ctx=ctx,
            judgements=judgements,
            stored_before=self.stored_before,
        )
        results = []
        for j in judgements:
            rules.judge_duplicates(j, ctx)
            if j.action == ADD and not j.errors:
                rules.remember(j, ctx)
            results.append(_result(j, self.program))
        return results

    def _activities(self, rows: Sequence[LearnerRow]) -> dict[str, ActivityFacts]:
        """The window's activities; those loaded (or missed) before aren't asked again."""
        wanted = {r.activity_id.strip() for r in rows} - self.activities.keys() - self.missing
        if wanted:
            found = load_activities(provider=self.provider, activity_ids=wanted)
            self.activities.update(found)
            self.missing |= wanted - found.keys()
        return self.activities

    def _start(self, row: LearnerRow) -> Judgement:
        given = row.credit_id.strip()
        if given:
            return Judgement(row=row, credit_id=given, credit_id_generated=False)
        return Judgement(
            row=row,
            credit_id=f"{self.credit_id_prefix}{row.row_number}",
            credit_id_generated=True,
        )


def _result(j: Judgement, program: str) -> RowResult:
    if j.action == DELETE:
        record = j.delete_record
        return RowResult(
            row=j.row,
            errors=j.errors,
            credit_id=record.credit_id if record else j.row.credit_id.strip(),
            learner_id=record.learner_id if record else None,
            action=DELETE,
            record_id=record.pk if record and record.live and not j.errors else None,
        )
    values = None if j.errors or j.replay else _record_values(j, program)
    return RowResult(
        row=j.row,
        errors=j.errors,
        credit_id=j.credit_id,
        learner_id=j.learner_id,
        action=j.action,
        values=values,
    )


def _record_values(j: Judgement, program: str) -> dict[str, object]:
    """The CompletionRecord fields an accepted add row becomes."""
    assert j.activity is not None
    status = RecordStatus.SUBMITTED if j.has_moc else RecordStatus.ACCEPTED
    if program == Program.REMS:
        return record_values(
            activity_id=j.activity.pk, credit_id=j.credit_id, completion_date=j.completion,
            source_row=j.row.row_number, status=status, **(j.rems or {}),
        )  # fmt: skip
    return record_values(
        activity_id=j.activity.pk,
        learner_id=j.learner_id,
        credit_id=j.credit_id,
        completion_date=j.completion,
        source_row=j.row.row_number,
        status=status,
        ama_credits=j.cme,
        licensing_state=j.state,
        license_id=j.license_id,
        npi=j.npi,
        board_id=j.board.pk if j.board else None,
        diplomate_id=j.board_id,
        moc_points=j.points,
        moc_credits=_moc_credits(tuple(j.credits)),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is judged and stored.

    A 2,500-row batch allocates tens of thousands of short-lived objects without reference
    cycles (reference counting frees them); left running, the collector rescans the whole
    process's objects several times per batch, a fifth of the engine's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@lru_cache(maxsize=1024)
def _moc_credits(credits: tuple[tuple[str, Decimal], ...]) -> list[dict[str, str]]:
    """The stored form of a row's credit types; rows with the same credits share one list."""
    return [{"type": name, "points": f"{points:.2f}"} for name, points in credits]


def learner_rows_validate(
    *,
    provider: Provider,
    rows: Sequence[LearnerRow],
    program: str = "board",
    today: date,
    credit_id_prefix: str = "",
) -> list[RowResult]:
    """Judge every row (bulk look-ups per window of rows); store nothing."""
    judge = _BatchJudge(
        provider=provider, program=program, today=today, credit_id_prefix=credit_id_prefix
    )
    results: list[RowResult] = []
    with _collector_paused():
        for start in range(0, len(rows), LOOKUP_WINDOW):
            results.extend(judge.judge(rows[start : start + LOOKUP_WINDOW]))
    return results


def learner_rows_store(
    *,
    provider: Provider,
    results: Sequence[RowResult],
    source: str,
    upload_id: int | None = None,
) -> StoreSummary:
    """Store the accepted rows: adds in bulk (idempotent on Credit ID), deletes marked deleted."""
    now = timezone.now()
    common = {
        "provider_id": provider.pk,
        "source": source,
        "upload_id": upload_id,
        "created_at": now,
        "updated_at": now,
    }
    rows = [r.values for r in results if r.accepted and r.values is not None]
    to_delete = {r.record_id for r in results if r.accepted and r.record_id is not None}
    already = sum(1 for r in results if r.accepted and r.action == ADD and r.values is None)
    # Adds and deletes of a chunk go in together; adds alone are one atomic insert already.
    with transaction.atomic() if to_delete else nullcontext():
        # A retried batch hits the (provider, credit_id) constraint and adds nothing twice.
        added = insert_records(rows, common)
        deleted = 0
        if to_delete:
            deleted = (
                CompletionRecord.objects.filter(provider=provider, pk__in=to_delete)
                .exclude(status=RecordStatus.DELETED)
                .update(status=RecordStatus.DELETED, updated_at=now)
            )
    return StoreSummary(added=added, deleted=deleted, already_stored=already)


def learner_rows_process(
    *,
    provider: Provider,
    rows: Sequence[LearnerRow],
    program: str = "board",
    source: str,
    today: date,
    upload_id: int | None = None,
    store: bool = True,
    credit_id_prefix: str = "",
    chunk_size: int = CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """Validate and (unless store=False, "Check file only") store a batch, chunk by chunk.

    A window of rows (up to LOOKUP_WINDOW) is judged with one set of bulk look-ups, then stored
    `chunk_size` rows at a time, reporting progress after each chunk. A retried batch stores
    nothing twice (see learner_rows_store).
    """
    judge = _BatchJudge(
        provider=provider,
        program=program,
        today=today,
        credit_id_prefix=credit_id_prefix,
        upload_id=upload_id,
    )
    if store:
        judge.storing()
    outcome = BatchOutcome()
    window = max(chunk_size, LOOKUP_WINDOW)
    for window_start in range(0, len(rows), window):
        with _collector_paused():
            judged = judge.judge(rows[window_start : window_start + window])
        for start in range(0, len(judged), chunk_size):
            results = judged[start : start + chunk_size]
            if store:
                with _collector_paused():
                    outcome.stored += learner_rows_store(
                        provider=provider, results=results, source=source, upload_id=upload_id
                    )
            _count(outcome, results)
            if on_progress is not None:
                on_progress(window_start + start + len(results))
    return outcome


def _count(outcome: BatchOutcome, results: list[RowResult]) -> None:
    outcome.results.extend(results)
    accepted = sum(1 for r in results if r.accepted)
    outcome.accepted += accepted
    outcome.rejected += len(results) - accepted
