"""The learner record engine's services: validate, store and process batches of LearnerRows.

Every entrance (file uploads, web services, manual entry) calls these, so a row gets the same
codes wherever it came from. Rows are judged in windows of up to LOOKUP_WINDOW rows (a whole
upload): per window a fixed handful of bulk queries (activities, directory, stored records), never
one per row. Accepted rows are then stored chunk by chunk, one COPY each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from learners.engine import rules
from learners.engine.codes import error
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
from learners.engine.store import (
    claim_credit_ids,
    insert_records,
    record_ids,
    record_key,
    record_values,
)
from learners.engine.values import format_date
from learners.models import CompletionRecord, RecordCreditId, RecordStatus
from portal.collector import collector_paused
from portal.models import Provider

__all__ = [
    "BatchOutcome",
    "RowError",
    "RowResult",
    "StoreSummary",
    "learner_record_save",
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
            results.append(_result(j))
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
        given = row.credit_ids
        if given:
            return Judgement(
                row=row, credit_id=given[0], credit_ids=given, credit_id_generated=False
            )
        # File rows get a Credit ID from their upload and row; an XML certificate without one,
        # or a web-service record, gets none (650): nothing is stored under an invented id.
        if row.from_xml and (not self.credit_id_prefix or row.certificates):
            return Judgement(row=row, credit_id="", credit_id_generated=False)
        return Judgement(
            row=row,
            credit_id=f"{self.credit_id_prefix}{row.row_number}",
            credit_id_generated=True,
        )


def _result(j: Judgement) -> RowResult:
    if j.action == DELETE:
        record, added = j.delete_record, j.delete_added
        delete_key = None
        if added is not None and not j.errors:
            local_id = added.rems.get("rems_learner_local_id") if added.rems else ""
            delete_key = (added.credit_id, str(local_id or ""))
        return RowResult(
            row=j.row,
            errors=j.errors,
            credit_id=record.credit_id
            if record
            else (added.credit_id if added else j.row.credit_id.strip()),
            learner_id=record.learner_id if record else (added.learner_id if added else None),
            action=DELETE,
            record_id=record.pk if record and record.live and not j.errors else None,
            delete_key=delete_key,
        )
    values = None if j.errors or j.replay else _record_values(j)
    return RowResult(
        row=j.row,
        errors=j.errors,
        credit_id=j.credit_id,
        learner_id=j.learner_id,
        action=j.action,
        values=values,
        claims=j.credit_ids if j.row.from_xml else (),
    )


def _record_values(j: Judgement) -> dict[str, object]:
    """The CompletionRecord fields an accepted add row becomes."""
    assert j.activity is not None
    status = RecordStatus.SUBMITTED if j.has_moc else RecordStatus.ACCEPTED
    if j.rems_rules:
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
        moc_points=j.points if j.has_moc else None,
        moc_credits=_moc_credits(tuple(j.credits)),
    )


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
    with collector_paused():
        for start in range(0, len(rows), LOOKUP_WINDOW):
            results.extend(judge.judge(rows[start : start + LOOKUP_WINDOW]))
    return results


class _Refused(Exception):
    """Undo a single record's writes: the database refused part of it."""


def learner_record_save(
    *,
    provider: Provider,
    rows: Sequence[LearnerRow],
    program: str = Program.BOARD,
    source: str,
    today: date,
) -> list[RowResult]:
    """Judge one record (a web-service report, a hand-entered completion, a delete) and store it
    when every row passes: all of it or nothing, whatever else is stored at the same time."""
    results = learner_rows_validate(provider=provider, rows=rows, program=program, today=today)
    if not all(result.accepted for result in results):
        return results
    try:
        with transaction.atomic():
            learner_rows_store(provider=provider, results=results, source=source)
            if not all(result.accepted for result in results):
                raise _Refused
    except _Refused:
        pass
    return results


def learner_rows_store(
    *,
    provider: Provider,
    results: Sequence[RowResult],
    source: str,
    upload_id: int | None = None,
) -> StoreSummary:
    """Store the accepted rows in file order: adds in bulk, deletes marked deleted.

    The database has the last word: an add it refuses (its key or Credit ID taken, or a live
    record of the same learner, activity and date stored meanwhile) gets 603 or 709 in its
    result instead of being counted, so the answer, the report and the counts say what is stored.
    """
    now = timezone.now()
    common = {
        "provider_id": provider.pk,
        "source": source,
        "upload_id": upload_id,
        "created_at": now,
        "updated_at": now,
    }
    summary = StoreSummary(
        already_stored=sum(
            1 for r in results if r.accepted and r.action == ADD and r.values is None
        )
    )
    with transaction.atomic():
        for action, run in _runs(results):
            if action == ADD:
                summary.added += _store_adds(provider, run, common)
            else:
                summary.deleted += _store_deletes(provider, run, now)
    return summary


def _runs(results: Sequence[RowResult]) -> Iterator[tuple[str, list[RowResult]]]:
    """Consecutive accepted adds, or deletes, in file order: Add then Delete deletes."""
    run: list[RowResult] = []
    for result in results:
        stores = result.values is not None or result.record_id or result.delete_key
        if not result.accepted or not stores:
            continue
        if run and run[0].action != result.action:
            yield run[0].action, run
            run = []
        run.append(result)
    if run:
        yield run[0].action, run


def _store_adds(provider: Provider, run: list[RowResult], common: dict[str, object]) -> int:
    rows = [r.values for r in run if r.values is not None]
    inserted = insert_records(rows, common)
    refused = [r for r in run if record_key(r.values or {}) not in inserted]
    refused += _hold_credit_ids(provider, run, inserted)
    for result in refused:
        result.errors.append(_refusal(provider, result))
    return len(run) - len(refused)


def _hold_credit_ids(
    provider: Provider, run: list[RowResult], inserted: dict[tuple[str, str], int | None]
) -> list[RowResult]:
    """Hold the Credit IDs senders gave; a report whose id turns out taken is taken back."""
    stored = [r for r in run if r.claims and record_key(r.values or {}) in inserted]
    if not stored:
        return []
    ids = dict(inserted)
    unknown = [
        record_key(r.values or {}) for r in stored if ids[record_key(r.values or {})] is None
    ]
    if unknown:
        ids.update(record_ids(provider.pk, unknown))
    holder: dict[str, tuple[int, int]] = {}  # credit id → (record id, report)
    for result in stored:
        for credit_id in result.claims:
            report = result.row.report or -result.row.row_number
            holder.setdefault(credit_id, (ids[record_key(result.values or {})] or 0, report))
    held = claim_credit_ids(provider.pk, [(c, rid) for c, (rid, _) in holder.items()])
    lost = {report for credit_id, (_, report) in holder.items() if credit_id not in held}
    if not lost:
        return []
    refused = [r for r in stored if (r.row.report or -r.row.row_number) in lost]
    CompletionRecord.objects.filter(
        pk__in=[ids[record_key(r.values or {})] for r in refused]
    ).delete()
    return refused


def _refusal(provider: Provider, result: RowResult) -> RowError:
    """Why the database refused an add that the rules had passed (a concurrent submission)."""
    values = result.values or {}
    credit_id, local_id = record_key(values)
    taken = (
        CompletionRecord.objects.filter(
            provider=provider, credit_id=credit_id, rems_learner_local_id=local_id
        ).exists()
        or RecordCreditId.objects.filter(provider=provider, credit_id__in=result.claims).exists()
    )
    if taken:
        return error("603", credit_id=credit_id, previous="a simultaneous submission")
    completion = values.get("completion_date")
    shown = format_date(completion) if isinstance(completion, date) else ""
    return error("709", activity_id=result.row.activity_id.strip(), completion_date=shown)


def _store_deletes(provider: Provider, run: list[RowResult], now: datetime) -> int:
    pks = {r.record_id for r in run if r.record_id is not None}
    keys = [r.delete_key for r in run if r.delete_key is not None]
    records = CompletionRecord.objects.filter(provider=provider).exclude(
        status=RecordStatus.DELETED
    )
    deleted = 0
    if pks:
        deleted += records.filter(pk__in=pks).update(status=RecordStatus.DELETED, updated_at=now)
    for credit_id, local_id in keys:
        deleted += records.filter(credit_id=credit_id, rems_learner_local_id=local_id).update(
            status=RecordStatus.DELETED, updated_at=now
        )
    return deleted


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
    `chunk_size` rows at a time (a REMS report's participants stay in one chunk), reporting
    progress after each chunk. A retried batch stores nothing twice (see learner_rows_store).
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
        with collector_paused():
            judged = judge.judge(rows[window_start : window_start + window])
        for start, end in _chunks(judged, chunk_size):
            results = judged[start:end]
            if store:
                with collector_paused():
                    outcome.stored += learner_rows_store(
                        provider=provider, results=results, source=source, upload_id=upload_id
                    )
            _count(outcome, results)
            if on_progress is not None:
                on_progress(window_start + end)
    return outcome


def _chunks(results: Sequence[RowResult], size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each chunk; a chunk grows to keep a REMS report's rows together."""
    start = 0
    while start < len(results):
        end = min(start + size, len(results))
        report = results[end - 1].row.report
        while report and end < len(results) and results[end].row.report == report:
            end += 1
        yield start, end
        start = end


def _count(outcome: BatchOutcome, results: list[RowResult]) -> None:
    outcome.results.extend(results)
    accepted = sum(1 for r in results if r.accepted)
    outcome.accepted += accepted
    outcome.rejected += len(results) - accepted
