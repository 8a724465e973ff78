"""Pausing Python's cyclic garbage collector around bulk work: the engine and the board cycle."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (the whole process: every thread).

    Bulk work allocates hundreds of thousands of short-lived objects without reference cycles
    (reference counting frees them); left running, the collector rescans the whole process's
    objects every few thousand allocations: a fifth of the engine's time on a 2,500-row batch,
    and 1.5 s of the board cycle's 16 s over 540,000 records. What cycles the block leaves are
    collected when it ends. Nested blocks leave the collector as the outer one found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
