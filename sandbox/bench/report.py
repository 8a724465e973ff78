"""Readable lines for each figure, and the closing line of `name=value` pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sandbox.bench.engine import CycleFigures, EngineFigures
from sandbox.bench.timing import Timing

PAGE_P95_MS = 150.0
WS_P95_MS = 150.0
EXPORT_FIRST_BYTE_MS = 300.0
ENGINE_ROWS_PER_S = 15_000.0
ENGINE_VS_EMPTY = 0.7
BOARD_CYCLE_ROWS_PER_S = 50_000.0

_TARGETS = {"page": PAGE_P95_MS, "ws": WS_P95_MS, "export": EXPORT_FIRST_BYTE_MS}


def over_target(timing: Timing) -> bool:
    return timing.p95 > _TARGETS[timing.kind]


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISS"


def timing_line(timing: Timing) -> str:
    label = "first byte " if timing.kind == "export" else ""
    line = (
        f"  {timing.kind:<6} {timing.name:<34} {label}p50 {timing.p50:7.1f} ms  "
        f"p95 {timing.p95:7.1f} ms  (n={len(timing.samples)}, target {_TARGETS[timing.kind]:.0f} ms: "
        f"{_mark(not over_target(timing))})"
    )
    return f"{line}\n         {timing.note}" if timing.note else line


def engine_lines(figures: EngineFigures) -> list[str]:
    return [
        f"  engine on {figures.rows} rows for the provider holding "
        f"{figures.provider_records:,} records: {figures.loaded_s:.3f} s, "
        f"{figures.rows_per_s:,.0f} rows/s, stored {figures.stored_loaded} "
        f"(target {ENGINE_ROWS_PER_S:,.0f}: {_mark(figures.rows_per_s >= ENGINE_ROWS_PER_S)})",
        f"  engine on the same rows for an empty provider: {figures.empty_s:.3f} s, "
        f"stored {figures.stored_empty}; loaded/empty speed {figures.vs_empty:.2f} "
        f"(target {ENGINE_VS_EMPTY}: {_mark(figures.vs_empty >= ENGINE_VS_EMPTY)})",
    ]


def cycle_line(figures: CycleFigures) -> str:
    when = (
        "after a checkpoint, as at night"
        if figures.after_checkpoint
        else "no CHECKPOINT allowed (grant pg_checkpoint): WAL may flatter it"
    )
    return (
        f"  board cycle over {figures.submitted:,} Submitted records ({when}): "
        f"{figures.seconds:.1f} s, {figures.rows_per_s:,.0f} rows/s ({figures.approved:,} "
        f"approved, {figures.rejected:,} rejected; target {BOARD_CYCLE_ROWS_PER_S:,.0f}: "
        f"{_mark(figures.rows_per_s >= BOARD_CYCLE_ROWS_PER_S)})"
    )


def database_line(settings: dict[str, str], cycle_workers: int) -> str:
    """The server settings the figures depend on, so that a run can be repeated."""
    shown = ", ".join(f"{name}={value}" for name, value in settings.items())
    return f"database: {shown}; BOARD_CYCLE_WORKERS={cycle_workers}"


def _worst(timings: Iterable[Timing], kind: str) -> float:
    return max((t.p95 for t in timings if t.kind == kind), default=0.0)


def final_line(
    *,
    records: int,
    timings: Sequence[Timing],
    engine: EngineFigures | None,
    cycle: CycleFigures | None,
    extra: dict[str, str],
) -> str:
    pairs = {
        "records": str(records),
        "page_p95_ms_max": f"{_worst(timings, 'page'):.1f}",
        "ws_p95_ms_max": f"{_worst(timings, 'ws'):.1f}",
        "export_first_byte_ms_max": f"{_worst(timings, 'export'):.1f}",
        "engine_rows_per_s": f"{engine.rows_per_s:.0f}" if engine else "n/a",
        "engine_vs_empty": f"{engine.vs_empty:.2f}" if engine else "n/a",
        "board_cycle_rows_per_s": f"{cycle.rows_per_s:.0f}" if cycle else "n/a",
        **extra,
    }
    return " ".join(f"{name}={value}" for name, value in pairs.items())
