"""The engine on a 2,500-row file, loaded and empty, and the nightly board cycle.

The engine runs inside transactions that are rolled back (as `bench_engine` does); the board
cycle commits as it does at night and is then undone record by record. Either way the loaded
database is left as it was found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import DatabaseError, connection, transaction

from emails.messages import board_rejection_emails
from learners.lifecycle import AWAITING, CycleSummary, board_answers_receive
from learners.management.commands.bench_engine import _Bench, _run_and_undo
from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider
from sandbox.bench.deadline import deadline_file
from sandbox.bench.rows import Reference, Sizes

EMPTY_PROVIDER = "9999999"
ACTIVITY_SHIFT = 100_000_000  # the empty provider's copy of activity 300000123 is 400000123


@dataclass(frozen=True)
class EngineFigures:
    rows: int
    loaded_s: float
    empty_s: float
    stored_loaded: int
    stored_empty: int
    provider_records: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.loaded_s

    @property
    def vs_empty(self) -> float:
        return self.empty_s / self.loaded_s


@dataclass(frozen=True)
class CycleFigures:
    submitted: int
    seconds: float
    approved: int
    rejected: int
    after_checkpoint: bool  # as at night: each page's first change writes the whole page to WAL

    @property
    def rows_per_s(self) -> float:
        return self.submitted / self.seconds if self.seconds else 0.0


class _Rollback(Exception):
    pass


def _copy_activities(source: Provider, target: Provider) -> None:
    """The provider's activities, MOC registrations and their credit types again, under the
    empty provider."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO learners_activity (provider_id, activity_id, provider_activity_id, title,
                format_id, start_date, end_date, credit_claim_date, ama_credits, reporting_year,
                status, description, url, city, state, country, providership, joint_providers,
                commercial_support, rems_registered, repeat_participation, created_at, updated_at)
            SELECT %s, (activity_id::bigint + %s)::text, provider_activity_id, title, format_id,
                start_date, end_date, credit_claim_date, ama_credits, reporting_year, status,
                description, url, city, state, country, providership, joint_providers,
                commercial_support, rems_registered, repeat_participation, now(), now()
            FROM learners_activity WHERE provider_id = %s
            """,
            [target.pk, ACTIVITY_SHIFT, source.pk],
        )
        cursor.execute(
            """
            INSERT INTO learners_mocregistration (activity_id, board_id, points)
            SELECT copy.id, m.board_id, m.points FROM learners_mocregistration m
            JOIN learners_activity a ON a.id = m.activity_id AND a.provider_id = %s
            JOIN learners_activity copy
              ON copy.activity_id = (a.activity_id::bigint + %s)::text
            """,
            [source.pk, ACTIVITY_SHIFT],
        )
        cursor.execute(
            """
            INSERT INTO learners_mocregistration_credit_types (mocregistration_id, credittype_id)
            SELECT copy_m.id, t.credittype_id FROM learners_mocregistration_credit_types t
            JOIN learners_mocregistration m ON m.id = t.mocregistration_id
            JOIN learners_activity a ON a.id = m.activity_id AND a.provider_id = %s
            JOIN learners_activity copy_a
              ON copy_a.activity_id = (a.activity_id::bigint + %s)::text
            JOIN learners_mocregistration copy_m
              ON copy_m.activity_id = copy_a.id AND copy_m.board_id = m.board_id
            """,
            [source.pk, ACTIVITY_SHIFT],
        )


def _for_empty(data: bytes, codes: set[str]) -> bytes:
    """The same file naming the empty provider's copies of the activities."""
    lines = []
    for line in data.decode("utf-8").split("\n"):
        cells = line.split("\t")
        cells = [str(int(c) + ACTIVITY_SHIFT) if c in codes else c for c in cells]
        lines.append("\t".join(cells))
    return "\n".join(lines).encode("utf-8")


def _timed_engine(bench: _Bench, repeats: int) -> tuple[float, int]:
    _run_and_undo(bench.engine)  # warm-up
    return min(_run_and_undo(bench.engine) for _ in range(repeats))


def measure_engine(
    *, provider: Provider, rows: int, sizes: Sizes, ref: Reference, today: date, repeats: int
) -> EngineFigures:
    """The same valid MOC file (the deadline's) for the big provider, then for an empty one.

    Not `generate_learner_file`: it reads the whole directory into memory (4 GB at 500,000
    physicians) to draw its learners; these rows follow from the loaded data directly.
    """
    data = deadline_file(provider, rows=rows, sizes=sizes, ref=ref, today=today)
    codes = set(provider.activities.values_list("activity_id", flat=True))
    loaded = _timed_engine(_Bench(provider, data, "txt", today), repeats)
    figures: EngineFigures | None = None
    try:
        with transaction.atomic():
            empty = Provider.objects.create(
                accme_id=EMPTY_PROVIDER, name="Empty bench provider", primary_contact_email=""
            )
            _copy_activities(provider, empty)
            bench = _Bench(empty, _for_empty(data, codes), "txt", today)
            empty_run = _timed_engine(bench, repeats)
            figures = EngineFigures(
                rows, loaded[0], empty_run[0], loaded[1], empty_run[1],
                CompletionRecord.objects.for_provider(provider).count(),
            )  # fmt: skip
            raise _Rollback
    except _Rollback:
        pass
    assert figures is not None
    return figures


def measure_board_cycle(*, today: date) -> CycleFigures:
    """The nightly cycle over every Submitted record, as it runs at night: committed, its
    answers shared between BOARD_CYCLE_WORKERS connections (which a rolled-back transaction
    would forbid). The rejection emails are queued and rolled back; then every answered record
    is put back as it was, so the database is left as it was found.
    """
    awaiting = _awaiting()
    submitted = sum(1 for _, status, _, _ in awaiting if status == RecordStatus.SUBMITTED)
    summary = CycleSummary()
    after_checkpoint = checkpoint()
    try:
        started = time.perf_counter()
        board_answers_receive(summary)
        try:
            with transaction.atomic():
                board_rejection_emails(rejected=summary.rejections, today=today)
                seconds = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
    finally:
        _put_back(awaiting)
    return CycleFigures(
        submitted, seconds, summary.approved, summary.rejected, after_checkpoint=after_checkpoint
    )


def checkpoint() -> bool:
    """A CHECKPOINT, so the cycle is measured as it runs at night; False when not allowed.

    After a checkpoint the first change of each page writes the whole page to the WAL. At night
    the cycle's pages have not been touched since the last checkpoint, so it pays that for
    every page; a run straight after another (or after the put-back) would not. CHECKPOINT
    takes a superuser or the pg_checkpoint role.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return False
    return True


def _awaiting() -> list[tuple[int, str, str, datetime]]:
    """(id, status, board codes as JSON text, last update) of every record awaiting a board."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, board_codes::text, updated_at FROM learners_completionrecord "
            "WHERE status = ANY(%s) AND board_id IS NOT NULL",
            [list(AWAITING)],
        )
        return cursor.fetchall()


def _put_back(awaiting: list[tuple[int, str, str, datetime]]) -> None:
    if not awaiting:
        return
    ids, statuses, codes, updated = (list(column) for column in zip(*awaiting, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE learners_completionrecord AS r SET status = b.status, "
            "board_codes = b.codes::jsonb, updated_at = b.updated_at "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[]) "
            "AS b(id, status, codes, updated_at) WHERE r.id = b.id",
            [ids, statuses, codes, updated],
        )


def vacuum_records() -> None:
    """Clear the dead rows the rolled-back runs left (outside any transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE learners_completionrecord")
        cursor.execute("VACUUM ANALYZE learners_recordcreditid")
