"""Writing accepted rows as CompletionRecords: one statement per chunk, idempotent on Credit ID.

On PostgreSQL a chunk goes in with one COPY, which keeps a 2,500-row file within a fraction of a
second; should a Credit ID be taken meanwhile, `INSERT … ON CONFLICT DO NOTHING` skips it. A few
rows (a web-service call) go in with that INSERT straight away: for them a COPY's transaction and
its fallback's scratch table cost more than the rows. Elsewhere (SQLite)
`bulk_create(ignore_conflicts=True)` does the same job. Either way the (provider, credit_id)
constraint makes a retried batch add nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import psycopg
from django.db import connection, models, transaction
from psycopg.types.json import Jsonb

from learners.models import CompletionRecord

INSERT_BATCH_SIZE = 500
# Up to this many rows one INSERT … VALUES beats a COPY (about four times cheaper for one row).
SMALL_BATCH = 50


@cache
def _columns() -> tuple[models.Field, ...]:
    """Every concrete column but the key."""
    return tuple(f for f in CompletionRecord._meta.concrete_fields if not f.primary_key)


def _column(f: models.Field) -> str:
    assert f.column is not None  # every concrete field has one
    return f.column


def _db_type(f: models.Field) -> str:
    db_type = f.db_type(connection)
    assert db_type is not None  # concrete fields have a column type
    return db_type


@cache
def _defaults() -> dict[str, object]:
    return {f.attname: f.get_default() for f in _columns()}


def record_values(**values: object) -> dict[str, object]:
    """A full {attname: value} record: the given values over every column's default."""
    return {**_defaults(), **values}


def insert_records(rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]) -> int:
    """Insert full records (see `record_values`) with the `common` values over each.

    Credit IDs already stored are skipped. Returns how many were added.
    """
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows, common)
    records = [CompletionRecord(**{**row, **common}) for row in rows]
    CompletionRecord.objects.bulk_create(
        records, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True
    )
    return len(records)


def _insert_postgresql(rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]) -> int:
    """COPY the chunk straight in; if a Credit ID turns out to be taken, go round by a scratch table.

    COPY moves the values in psycopg's C code: binding thousands of values as query parameters
    costs more than the database's own work. The engine has already set aside the rows a
    previous run stored, so a conflict here means a concurrent run stored some first: then the
    slower path inserts with ON CONFLICT DO NOTHING, which skips exactly those.
    """
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    if len(rows) <= SMALL_BATCH:
        return _insert_values(table, rows, common)
    try:
        with transaction.atomic():
            _copy(table, rows, common)
            return len(rows)
    except psycopg.errors.UniqueViolation:
        with transaction.atomic():  # the scratch table lives until the end of a transaction
            return _insert_skipping_conflicts(table, rows, common)


def _encoded(value: object) -> Jsonb:
    """JSON encoded once; psycopg passes the text on as it is (dumps=str)."""
    return Jsonb(json.dumps(value), dumps=str)


_EMPTY_LIST = _encoded([])


@dataclass(frozen=True)
class _Layout:
    """How a record dict becomes a row of column values (worked out once per process)."""

    names: str  # the quoted column names, comma-separated
    types: list[str]  # PostgreSQL type names for a binary COPY
    in_order: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    json_columns: list[int]
    attnames: tuple[str, ...]


@cache
def _layout() -> _Layout:
    columns = _columns()
    return _Layout(
        names=", ".join(connection.ops.quote_name(_column(f)) for f in columns),
        types=[_db_type(f).split("(")[0] for f in columns],  # varchar(100) → varchar
        in_order=itemgetter(*(f.attname for f in columns)),
        json_columns=[i for i, f in enumerate(columns) if isinstance(f, models.JSONField)],
        attnames=tuple(f.attname for f in columns),
    )


def _column_values(
    rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> Iterator[list[Any]]:
    """Each record's values in column order, `common` laid over them and JSON encoded."""
    layout = _layout()
    in_order, json_columns = layout.in_order, layout.json_columns
    shared = [(i, common[name]) for i, name in enumerate(layout.attnames) if name in common]
    # Records of a batch share their JSON values (see engine's moc_credits): encode each once.
    # The rows hold every value for the whole loop, so an id() can't be reused meanwhile.
    encoded: dict[int, Jsonb] = {}
    for row in rows:
        values = list(in_order(row))
        for i, value in shared:
            values[i] = value
        for i in json_columns:
            value = values[i]
            if not value:
                values[i] = _EMPTY_LIST
            elif id(value) in encoded:
                values[i] = encoded[id(value)]
            else:
                values[i] = encoded[id(value)] = _encoded(value)
        yield values


def _copy(table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]) -> None:
    """COPY in binary format: psycopg's C dumpers, no text quoting."""
    layout = _layout()
    sql = f"COPY {table} ({layout.names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(layout.types)
        write_row = copy.write_row
        for values in _column_values(rows, common):
            write_row(values)


def _insert_values(table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]) -> int:
    """One INSERT … VALUES that skips Credit IDs already stored; returns how many went in."""
    layout = _layout()
    row_sql = "(" + ", ".join(["%s"] * len(layout.types)) + ")"
    params = [value for values in _column_values(rows, common) for value in values]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({layout.names}) VALUES "  # noqa: S608
            + ", ".join([row_sql] * len(rows))
            + f" ON CONFLICT ON CONSTRAINT {_UNIQUE_CREDIT_ID} DO NOTHING",
            params,
        )
        return cursor.rowcount


_UNIQUE_CREDIT_ID = '"credit_id_unique_per_provider"'


def _insert_skipping_conflicts(
    table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> int:
    quote = connection.ops.quote_name
    columns = _columns()
    names = _layout().names
    scratch = quote("engine_new_records")
    definition = ", ".join(f"{quote(_column(f))} {_db_type(f)}" for f in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ({definition}) ON COMMIT DROP")
        _copy(scratch, rows, common)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608
            f"ON CONFLICT ON CONSTRAINT {_UNIQUE_CREDIT_ID} DO NOTHING"
        )
        added = cursor.rowcount
        cursor.execute(f"DROP TABLE {scratch}")
    return added
