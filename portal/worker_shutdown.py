"""A worker asked to stop stops within seconds, whatever its running task is doing.

With REMAP_SIGTERM=SIGQUIT in its environment (runportal and docker-compose set it), SIGTERM makes
Celery wait `CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT` for running tasks, then cancel them: their
messages go back to the broker (acks_late) and are delivered again. But a task blocked inside a
database call can't run the cancel signal's handler until the call returns (a SQLite busy wait
lasts up to 20 s), and Celery's shutdown waits for it. So every stop signal also sets a deadline:
pool processes still alive a moment after the grace period are killed outright, and the main
process hands their messages back and exits.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from billiard.process import active_children
from django.conf import settings

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
# Seconds between the end of the grace period and the kill: the cancel signal's own time.
CANCEL_ALLOWANCE = 1.0


def install_stop_deadline(**_kwargs: Any) -> None:
    """`worker_ready` receiver (main process): wrap Celery's stop handlers with the deadline."""
    for signum in STOP_SIGNALS:
        celery_handler = signal.getsignal(signum)
        if callable(celery_handler):
            signal.signal(signum, _with_deadline(celery_handler))


def _with_deadline(celery_handler: Any) -> Any:
    def handle(signum: int, frame: FrameType | None) -> None:
        _arm_deadline()
        celery_handler(signum, frame)

    return handle


_armed = threading.Event()


def _arm_deadline() -> None:
    if _armed.is_set():
        return
    _armed.set()
    delay = float(settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT) + CANCEL_ALLOWANCE
    timer = threading.Timer(delay, _kill_pool_children)
    timer.daemon = True
    timer.start()


def _kill_pool_children() -> None:
    for child in active_children():
        if child.is_alive() and child.pid:
            logger.warning("Killing pool process %s: still busy after the grace period", child.pid)
            try:
                os.kill(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue  # it ended meanwhile
