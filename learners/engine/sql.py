"""SQL helpers for the engine's bulk look-ups and inserts."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, Lookup, QuerySet


@dataclass(frozen=True, slots=True)
class Slot:
    """Stands for a value in a query compiled once and run many times (see `slotted_rows`)."""

    name: str
    array: bool = False  # bound as an array literal (see `array_literal`)


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal, `{"a","b"}`, for a parameter cast to an array type.

    psycopg quotes a Python list element by element in Python code (client-side binding): for a
    window's 2,500 Credit IDs that costs milliseconds per query. One string is quoted in C.
    Every element is double-quoted, so no value reads as NULL or splits in two.
    """
    texts = [v if isinstance(v, str) else str(v) for v in values]
    if any('"' in t or "\\" in t for t in texts):
        texts = [t.replace("\\", "\\\\").replace('"', '\\"') for t in texts]
    return '{"' + '","'.join(texts) + '"}' if texts else "{}"


class AnyOf(Lookup):
    """`column = ANY(%s::type[])` with one array literal on PostgreSQL; an IN list elsewhere.

    A chunk looks up hundreds of values at a time. As an IN list each value is a placeholder
    that psycopg binds on the client, several milliseconds per query; one array literal (see
    `array_literal`) costs next to nothing.
    """

    lookup_name = "any_of"
    prepare_rhs = False
    template = "{column} = ANY(%s::{type}[])"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            array = self.template.format(column=lhs_sql, type=self._element_type(connection))
            if isinstance(self.rhs, Slot):
                return array, (*lhs_params, Slot(self.rhs.name, array=True))
            return array, (*lhs_params, array_literal(self.rhs))
        values = list(self.rhs)
        placeholders = ", ".join(["%s"] * len(values)) or "NULL"
        return f"{lhs_sql} IN ({placeholders})", (*lhs_params, *values)

    def _element_type(self, connection: Any) -> str:
        db_type = self.lhs.output_field.db_type(connection)
        return db_type.split("(")[0]  # varchar(100) → varchar


class EachOf(AnyOf):
    """`column IN (SELECT unnest(%s::type[]))` on PostgreSQL: one index probe per value.

    For a window's thousands of values (its Credit IDs). With `= ANY(array)` the planner weighs
    every value against the column's statistics (milliseconds at 2,500 values) and, finding
    the list long, plans parallel workers whose start costs more than the probes (at five
    million records: 28 → 14 ms). As a set to join, the values are simply that many probes.
    """

    lookup_name = "each_of"
    template = "{column} IN (SELECT unnest(%s::{type}[]))"


class _Compare(Lookup):
    """`column <operator> %s`, the value passed on as it is: a Slot, or a ready value (a key)."""

    prepare_rhs = False
    operator = "="

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} {self.operator} %s", (*lhs_params, self.rhs)


class Equals(_Compare):
    lookup_name = "equals"


class AtMost(_Compare):
    lookup_name = "at_most"
    operator = "<="


class PairsIn(Expression):
    """`(a, b) IN (SELECT * FROM unnest(%s::ta[], %s::tb[]))` on PostgreSQL: exact pairs.

    `a = ANY(…) AND b = ANY(…)` asks for every combination of the two lists, which no index
    answers well: PostgreSQL scans the table, or fetches rows only to drop them. Pairs joined
    to an index on (a, b) cost one probe each. Elsewhere a list of row values.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(
        self,
        columns: tuple[str, str],
        values: tuple[Iterable[object] | Slot, Iterable[object] | Slot],
    ) -> None:
        super().__init__()
        self.columns = columns
        self.fields: list[Any] = []  # the columns, resolved against the query
        self.values = tuple(v if isinstance(v, Slot) else list(v) for v in values)

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> PairsIn:
        resolved = super().resolve_expression(query, *args, **kwargs)
        resolved.fields = [
            F(column).resolve_expression(query, *args, **kwargs) for column in self.columns
        ]
        return resolved

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        compiled = [compiler.compile(field) for field in self.fields]
        lhs = ", ".join(sql for sql, _ in compiled)
        lhs_params = tuple(p for _, params in compiled for p in params)
        if connection.vendor == "postgresql":
            types = [f.output_field.db_type(connection).split("(")[0] for f in self.fields]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            params = tuple(
                Slot(v.name, array=True) if isinstance(v, Slot) else array_literal(v)
                for v in self.values
            )
            # Column names and types come from the model, values are parameters.
            sql = f"({lhs}) IN (SELECT * FROM unnest({arrays}))"  # noqa: S608
            return sql, (*lhs_params, *params)
        pairs = list(zip(*self.values, strict=True))  # type: ignore[call-overload]
        if not pairs:
            return "1 = 0", lhs_params
        rows = ", ".join(["(%s, %s)"] * len(pairs))
        return f"({lhs}) IN (VALUES {rows})", (*lhs_params, *(v for pair in pairs for v in pair))


def pairs_in(
    columns: tuple[str, str],
    values: tuple[Iterable[object] | Slot, Iterable[object] | Slot],
) -> PairsIn:
    """A filter expression: `filter(pairs_in(("board_id", "diplomate_id"), (boards, ids)))`,
    the values as two lists of equal length (the i-th pair is `boards[i], ids[i]`)."""
    return PairsIn(columns, values)


def any_of(column: str, values: Iterable[object] | Slot) -> AnyOf:
    """A filter expression: `Model.objects.filter(any_of("npi", npis))`."""
    return AnyOf(F(column), values if isinstance(values, Slot) else list(values))


def each_of(column: str, values: Iterable[object] | Slot) -> EachOf:
    """`any_of` for thousands of values: `filter(each_of("credit_id", credit_ids))`."""
    return EachOf(F(column), values if isinstance(values, Slot) else list(values))


def equals(column: str, value: object) -> Equals:
    """`column = value` for a key or a Slot: `filter(equals("provider_id", provider.pk))`."""
    return Equals(F(column), value)


def at_most(column: str, value: object) -> AtMost:
    return AtMost(F(column), value)


# (database alias, shape) → (SQL, parameters with Slots in them)
_compiled: dict[tuple[str, Hashable], tuple[str, tuple[Any, ...]]] = {}


def slotted_rows(
    shape: Hashable, build: Callable[[Mapping[str, Any]], QuerySet], values: Mapping[str, Any]
) -> Iterable[tuple[Any, ...]]:
    """The rows of `build(values)`, a values_list query: compiled once per process and shape.

    Building and compiling a queryset costs a few hundred microseconds, more than running a
    small look-up; a web-service call makes several. On PostgreSQL (where a list is one array
    parameter, so the SQL doesn't depend on the values) the query is compiled once with a Slot
    for each value, and later calls only fill the Slots in. `shape` must name everything else
    that changes the SQL. The fields fetched must need no converters (no JSON, no model rows).
    """
    if connection.vendor != "postgresql":
        return build(values)
    key = (connection.alias, shape)
    entry = _compiled.get(key)
    if entry is None:
        query = build({name: Slot(name) for name in values}).query
        entry = _compiled[key] = query.get_compiler(connection=connection).as_sql()
    sql, params = entry
    bound = [_bound(p, values) if isinstance(p, Slot) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        return cursor.fetchall()


def _bound(slot: Slot, values: Mapping[str, Any]) -> Any:
    value = values[slot.name]
    return array_literal(value) if slot.array else value
