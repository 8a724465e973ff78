"""Writing accepted rows as CompletionRecords: one statement per chunk, idempotent on Credit ID.

On PostgreSQL the chunk goes in as one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO
NOTHING`: one array parameter per column instead of a placeholder per value, which is what keeps a
2,500-row file within a fraction of a second. Elsewhere (SQLite) `bulk_create(ignore_conflicts=
True)` does the same job. Either way the (provider, credit_id) constraint makes a retried batch
add nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connection, models

from learners.models import CompletionRecord

INSERT_BATCH_SIZE = 500


@cache
def _columns() -> tuple[tuple[models.Field, object], ...]:
    """Every concrete column but the key, with the value a record gets when a row doesn't say."""
    columns = []
    for f in CompletionRecord._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append((f, f.get_default()))
    return tuple(columns)


def insert_records(rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert records given as {attname: value}; conflicts on Credit ID are skipped. Returns added."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows)
    records = [CompletionRecord(**row) for row in rows]
    CompletionRecord.objects.bulk_create(
        records, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True
    )
    return len(records)


def _insert_postgresql(rows: Sequence[Mapping[str, Any]]) -> int:
    names, casts, arrays = [], [], []
    for f, default in _columns():
        values = [row.get(f.attname, default) for row in rows]
        if isinstance(f, models.JSONField):
            values = [json.dumps(v) for v in values]
        names.append(connection.ops.quote_name(f.column))
        casts.append(f"%s::{f.db_type(connection)}[]")
        arrays.append(values)
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    constraint = connection.ops.quote_name("credit_id_unique_per_provider")
    # Every name comes from the model's metadata, every value travels as a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(casts)}) "
        f"ON CONFLICT ON CONSTRAINT {constraint} DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount
