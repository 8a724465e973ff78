"""Repeat a call, keep its durations, and remember the slowest query it ran (for `--explain`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection


@dataclass
class Query:
    sql: str
    params: Any
    ms: float


@dataclass
class Timing:
    """One measure: its kind (page, ws, export), durations in ms, and its slowest query."""

    name: str
    kind: str
    samples: list[float] = field(default_factory=list)
    slowest: Query | None = None
    note: str = ""

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


class _SlowestQuery:
    """An execute wrapper that keeps the slowest statement run while it is installed."""

    def __init__(self) -> None:
        self.slowest: Query | None = None

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            if not many and (self.slowest is None or ms > self.slowest.ms):
                self.slowest = Query(sql, params, ms)


def measure(
    name: str, kind: str, call: Callable[[], object], *, repeats: int, warmup: int = 2
) -> Timing:
    """Run `call` `warmup` times untimed, then `repeats` times timed."""
    for _ in range(warmup):
        call()
    timing = Timing(name, kind)
    watcher = _SlowestQuery()
    with connection.execute_wrapper(watcher):
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            timing.samples.append((time.perf_counter() - started) * 1000)
    timing.slowest = watcher.slowest
    return timing


def explain(query: Query) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, run again with its parameters."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query.sql}", query.params)
        return "\n".join(row[0] for row in cursor.fetchall())
