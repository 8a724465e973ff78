"""Writing accepted rows as CompletionRecords: one statement per chunk, idempotent on the key.

On PostgreSQL a chunk goes in with one COPY, which keeps a 2,500-row file within a fraction of a
second; should a key be taken meanwhile, `INSERT … ON CONFLICT DO NOTHING RETURNING` skips it and
says which rows went in. A few rows (a web-service call) go in with that INSERT straight away:
for them a COPY's transaction and its fallback's scratch table cost more than the rows. Elsewhere
(SQLite) each row goes in under a savepoint. Either way the constraints decide: a retried batch
adds nothing twice, and a row that lost a race (603 / 709) is known and reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import psycopg
from django.db import IntegrityError, connection, models, transaction
from psycopg.types.json import Jsonb

from learners.engine.sql import array_literal, each_of
from learners.models import CompletionRecord, RecordCreditId

INSERT_BATCH_SIZE = 500
# Up to this many rows one INSERT … VALUES beats a COPY (about four times cheaper for one row).
SMALL_BATCH = 50


@cache
def _columns() -> tuple[models.Field, ...]:
    """Every concrete column but the key and those the database computes."""
    return tuple(
        f for f in CompletionRecord._meta.concrete_fields if not f.primary_key and not f.generated
    )


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


RecordKey = tuple[str, str]  # (credit_id, rems_learner_local_id): a record's key per provider


def record_key(values: Mapping[str, Any]) -> RecordKey:
    return str(values["credit_id"]), str(values.get("rems_learner_local_id") or "")


def insert_records(
    rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> dict[RecordKey, int | None]:
    """Insert full records (see `record_values`) with the `common` values over each.

    A row the database refuses (its key is taken, or a live record of the same learner,
    activity and date exists: 603 / 709 under any interleaving) is skipped. Returns the keys of
    the rows that went in, with their ids where the insert told them (a COPY doesn't).
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows, common)
    return _insert_one_by_one(rows, common)


def _insert_one_by_one(
    rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> dict[RecordKey, int | None]:
    """SQLite (the laptop default): the chunk in one go; should the database refuse a row, each
    row again in a savepoint of its own, so a refused one skips alone."""
    records = [CompletionRecord(**{**row, **common}) for row in rows]
    try:
        with transaction.atomic():
            CompletionRecord.objects.bulk_create(records, batch_size=INSERT_BATCH_SIZE)
        return {record_key(row): record.pk for row, record in zip(rows, records, strict=True)}
    except IntegrityError:
        pass
    inserted: dict[RecordKey, int | None] = {}
    for row in rows:
        record = CompletionRecord(**{**row, **common})
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            continue
        inserted[record_key(row)] = record.pk
    return inserted


def record_ids(provider_id: int, keys: Sequence[RecordKey]) -> dict[RecordKey, int]:
    """The ids of records stored under these keys (after a COPY, which doesn't return them)."""
    found = (
        CompletionRecord.objects.filter(
            each_of("credit_id", {credit_id for credit_id, _ in keys}), provider_id=provider_id
        )
        .order_by()
        .values_list("credit_id", "rems_learner_local_id", "pk")
    )
    wanted = set(keys)
    return {(c, r): pk for c, r, pk in found if (c, r) in wanted}


def claim_credit_ids(provider_id: int, claims: Sequence[tuple[str, int]]) -> set[str]:
    """Hold each (Credit ID, record id) given; returns the Credit IDs that were still free."""
    if not claims:
        return set()
    if connection.vendor != "postgresql":
        held = set()
        for credit_id, record_id in claims:
            try:
                with transaction.atomic():
                    RecordCreditId.objects.create(
                        provider_id=provider_id, credit_id=credit_id, record_id=record_id
                    )
            except IntegrityError:
                continue
            held.add(credit_id)
        return held
    table = connection.ops.quote_name(RecordCreditId._meta.db_table)
    with connection.cursor() as cursor:
        # Two array literals, not three values a claim that psycopg would quote one by one.
        cursor.execute(
            f"INSERT INTO {table} (provider_id, credit_id, record_id) "  # noqa: S608
            "SELECT %s, c.credit_id, c.record_id "
            "FROM unnest(%s::varchar[], %s::bigint[]) AS c(credit_id, record_id) "
            "ON CONFLICT DO NOTHING RETURNING credit_id",
            [
                provider_id,
                array_literal(credit_id for credit_id, _ in claims),
                array_literal(record_id for _, record_id in claims),
            ],
        )
        return {row[0] for row in cursor.fetchall()}


def _insert_postgresql(
    rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> dict[RecordKey, int | None]:
    """COPY the chunk straight in; if a key turns out to be taken, go round by a scratch table.

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
            return dict.fromkeys(map(record_key, rows))
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


_RETURNING = " ON CONFLICT DO NOTHING RETURNING credit_id, rems_learner_local_id, id"


def _insert_values(
    table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> dict[RecordKey, int | None]:
    """One INSERT … VALUES that skips the rows a constraint refuses."""
    layout = _layout()
    row_sql = "(" + ", ".join(["%s"] * len(layout.types)) + ")"
    params = [value for values in _column_values(rows, common) for value in values]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({layout.names}) VALUES "  # noqa: S608
            + ", ".join([row_sql] * len(rows))
            + _RETURNING,
            params,
        )
        return {(credit_id, local_id): pk for credit_id, local_id, pk in cursor.fetchall()}


def _insert_skipping_conflicts(
    table: str, rows: Sequence[Mapping[str, Any]], common: Mapping[str, Any]
) -> dict[RecordKey, int | None]:
    quote = connection.ops.quote_name
    columns = _columns()
    names = _layout().names
    scratch = quote("engine_new_records")
    definition = ", ".join(f"{quote(_column(f))} {_db_type(f)}" for f in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ({definition}) ON COMMIT DROP")
        _copy(scratch, rows, common)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch}"  # noqa: S608
            + _RETURNING
        )
        inserted = {(credit_id, local_id): pk for credit_id, local_id, pk in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {scratch}")
    return inserted
