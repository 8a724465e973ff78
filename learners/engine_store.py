"""Writing accepted rows as CompletionRecords: one statement per chunk, idempotent on Credit ID.

On PostgreSQL the chunk goes in with one COPY, which keeps a 2,500-row file within a fraction of a
second; should a Credit ID be taken meanwhile, `INSERT … ON CONFLICT DO NOTHING` skips it.
Elsewhere (SQLite) `bulk_create(ignore_conflicts=True)` does the same job. Either way the
(provider, credit_id) constraint makes a retried batch add nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from operator import itemgetter
from typing import Any

import psycopg
from django.db import connection, models, transaction
from psycopg.types.json import Jsonb

from learners.models import CompletionRecord

INSERT_BATCH_SIZE = 500


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


def _copy(table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]) -> None:
    """COPY in binary format: psycopg's C dumpers, no text quoting."""
    columns = _columns()
    names = ", ".join(connection.ops.quote_name(_column(f)) for f in columns)
    types = [_db_type(f).split("(")[0] for f in columns]  # varchar(100) → varchar
    in_order = itemgetter(*(f.attname for f in columns))
    json_columns = [i for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    shared = [(i, common[f.attname]) for i, f in enumerate(columns) if f.attname in common]
    # Records of a batch share their JSON values (see engine's moc_credits): encode each once.
    # The rows hold every value for the whole loop, so an id() can't be reused meanwhile.
    encoded: dict[int, Jsonb] = {}
    sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(types)
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
            copy.write_row(values)


def _insert_skipping_conflicts(
    table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> int:
    quote = connection.ops.quote_name
    columns = _columns()
    names = ", ".join(quote(_column(f)) for f in columns)
    scratch = quote("engine_new_records")
    definition = ", ".join(f"{quote(_column(f))} {_db_type(f)}" for f in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ({definition}) ON COMMIT DROP")
        _copy(scratch, rows, common)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608
            f"ON CONFLICT ON CONSTRAINT {quote('credit_id_unique_per_provider')} DO NOTHING"
        )
        added = cursor.rowcount
        cursor.execute(f"DROP TABLE {scratch}")
    return added
