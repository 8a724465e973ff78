"""SQL helpers for the engine's bulk look-ups and inserts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Lookup


class AnyOf(Lookup):
    """`column = ANY(%s)` with one array parameter on PostgreSQL; a plain IN list elsewhere.

    A chunk looks up hundreds of values at a time. As an IN list each value is a placeholder
    that psycopg binds on the client, several milliseconds per query; one array parameter costs
    next to nothing.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs_sql} = ANY(%s)", (*lhs_params, values)
        placeholders = ", ".join(["%s"] * len(values)) or "NULL"
        return f"{lhs_sql} IN ({placeholders})", (*lhs_params, *values)


def any_of(column: str, values: Iterable[object]) -> AnyOf:
    """A filter expression: `Model.objects.filter(any_of("npi", npis))`."""
    return AnyOf(F(column), list(values))
