"""Load a production-size database with COPY: providers, activities, the directory, records.

Each table is streamed from a generator straight into `COPY … FROM STDIN`, so memory stays flat
whatever the scale. Every constraint and index production has stays in place while the rows go
in; the sequences are moved past the ids the load used, then the tables are analysed. A marker
table remembers the scale loaded, so `--keep` can reuse it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from learners.models import Board, CreditType
from sandbox.bench import records, rows
from sandbox.bench.rows import Reference, Sizes

MARKER = "bench_scale_marker"

Generator = Callable[[Sizes, Reference, datetime], Iterator[tuple[object, ...]]]
PartGenerator = Callable[[Sizes, Reference, tuple[range, int]], Iterator[tuple[object, ...]]]
PARALLEL_COPIES = 2  # the two big tables go in over this many connections at once


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: Generator


@dataclass(frozen=True)
class SplitTable:
    """A table loaded in parts, each over its own connection: the foreign-key checks that
    PostgreSQL runs at the end of each COPY then run side by side."""

    name: str
    columns: tuple[str, ...]
    rows: PartGenerator


TABLES = (
    Table("portal_provider", ("id", "accme_id", "name", "primary_contact_email",
          "participates_in_rems", "created_at"), lambda s, r, now: rows.providers(s, now)),
    Table("auth_user", ("id", "password", "is_superuser", "username", "first_name", "last_name",
          "email", "is_staff", "is_active", "date_joined"), lambda s, r, now: rows.users(s, now)),
    Table("portal_membership", ("id", "user_id", "provider_id", "role", "created_at"),
          lambda s, r, now: rows.memberships(s, now)),
    Table("learners_activity", ("id", "provider_id", "activity_id", "provider_activity_id",
          "title", "format_id", "start_date", "end_date", "credit_claim_date", "ama_credits",
          "reporting_year", "status", "description", "url", "city", "state", "country",
          "providership", "joint_providers", "commercial_support", "physician_count",
          "other_learner_count", "rems_registered", "repeat_participation", "created_at",
          "updated_at"), rows.activities),
    Table("learners_mocregistration", ("id", "activity_id", "board_id", "points",
          "practice_area_id"), lambda s, r, now: rows.moc_registrations(s, r)),
    Table("learners_mocregistration_credit_types", ("id", "mocregistration_id", "credittype_id"),
          lambda s, r, now: rows.moc_credit_types(s, r)),
    Table("learners_learner", ("id", "first_name", "last_name", "first_name_key",
          "last_name_key", "birth_month", "birth_day", "birth_year", "npi", "me_number",
          "medical_school", "us_licensed", "created_at"), lambda s, r, now: rows.learners(s, now)),
    Table("learners_learnerlicense", ("id", "learner_id", "state", "license_id"),
          lambda s, r, now: rows.licenses(s)),
    Table("learners_learnerboardid", ("id", "learner_id", "board_id", "diplomate_id"),
          lambda s, r, now: rows.board_ids(s, r)),
    Table("uploads_upload", rows.UPLOAD_COLUMNS, lambda s, r, now: rows.uploads(s, now)),
    SplitTable("learners_completionrecord", records.RECORD_COLUMNS, records.records),
    SplitTable("learners_recordcreditid", ("id", "provider_id", "credit_id", "record_id"),
               lambda s, r, part: records.record_credit_ids(s, part)),
)  # fmt: skip


@dataclass
class LoadReport:
    sizes: Sizes
    seconds: float
    reused: bool
    tables: dict[str, tuple[int, float]]  # table → (rows, seconds)


def reference() -> Reference:
    boards = tuple(Board.objects.order_by("code").values_list("pk", flat=True))
    if len(boards) != rows.BOARD_COUNT:
        raise RuntimeError(f"Expected {rows.BOARD_COUNT} boards from the migrations.")
    first_types: dict[int, tuple[int, str]] = {}
    for pk, board, name in CreditType.objects.order_by("board", "name", "pk").values_list(
        "pk", "board", "name"
    ):
        first_types.setdefault(board, (pk, name))
    from learners.models import ActivityFormat

    formats = tuple(ActivityFormat.objects.order_by("code").values_list("pk", flat=True))
    return Reference(boards=boards, credit_types=first_types, formats=formats)


def loaded_scale() -> float | None:
    """The scale of the data already loaded, if the last load finished."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        if cursor.fetchone()[0] is None:  # type: ignore[index]
            return None
        cursor.execute(f"SELECT scale FROM {MARKER}")  # noqa: S608
        row = cursor.fetchone()
    return float(row[0]) if row else None


class ForeignDataError(Exception):
    """The database holds providers that no bench_scale load put there."""


def holds_foreign_data() -> bool:
    """True when providers exist and no finished load left its marker: someone's real data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        marked = cursor.fetchone()[0] is not None  # type: ignore[index]
        cursor.execute("SELECT EXISTS (SELECT 1 FROM portal_provider)")
        providers = bool(cursor.fetchone()[0])  # type: ignore[index]
    return providers and not marked


def load(*, scale: float, keep: bool, replace: bool, say: Callable[[str], None]) -> LoadReport:
    """Load `scale` of the production sizes; refuse to empty a database it did not load,
    unless told to `replace` it."""
    sizes = Sizes.at(scale)
    if keep and loaded_scale() == scale:
        say(f"load: reusing the database loaded at scale {scale}")
        return LoadReport(sizes, 0.0, True, {})
    if not replace and holds_foreign_data():
        raise ForeignDataError
    started = time.perf_counter()
    _empty()
    ref, now = reference(), timezone.now()
    tables: dict[str, tuple[int, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    for table in TABLES:
        began = time.perf_counter()
        if isinstance(table, SplitTable):
            count = _copy_parts(table, sizes, ref)
        else:
            count = copy_rows(table.name, table.columns, table.rows(sizes, ref, now))
        tables[table.name] = (count, time.perf_counter() - began)
        say(f"load: {table.name:<40} {count:>10,} rows {tables[table.name][1]:7.1f} s")
    _finish(sizes)
    seconds = time.perf_counter() - started
    say(f"load: done in {seconds:.1f} s")
    return LoadReport(sizes, seconds, False, tables)


def copy_rows(table: str, columns: tuple[str, ...], values: Iterable[tuple[object, ...]]) -> int:
    """COPY the rows into the table as they are generated; returns how many went in."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            write_row = copy.write_row
            for row in values:
                write_row(row)
                count += 1
    return count


def _copy_parts(table: SplitTable, sizes: Sizes, ref: Reference) -> int:
    def copy_part(part: tuple[range, int]) -> int:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            return copy_rows(table.name, table.columns, table.rows(sizes, ref, part))
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(PARALLEL_COPIES) as pool:
        return sum(pool.map(copy_part, records.parts(sizes, PARALLEL_COPIES)))


def _empty() -> None:
    """Remove what an earlier load (or anything else) left in the tables the load fills."""
    names = ", ".join(table.name for table in TABLES)
    with connection.cursor() as cursor:
        # An empty marker: the database is the bench's (a load that dies can be run again), but
        # no load has finished.
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER}")
        cursor.execute(f"CREATE TABLE {MARKER} (scale double precision, loaded_at timestamptz)")
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _finish(sizes: Sizes) -> None:
    """Sequences past the loaded ids, fresh statistics, and the marker of a finished load."""
    with connection.cursor() as cursor:
        for table in TABLES:
            highest = f"SELECT coalesce(max(id), 0) + 1 FROM {table.name}"  # noqa: S608
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({highest}), false)",
                [table.name],
            )
        # As autovacuum leaves a production table: statistics, and the visibility map that
        # index-only scans rely on.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s, now())", [sizes.scale])  # noqa: S608
