"""A worker asked to stop stops within seconds, whatever its running task is doing.

With REMAP_SIGTERM=SIGQUIT in its environment (runportal and docker-compose set it), SIGTERM makes
Celery wait `CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT` for running tasks, then cancel them: their
messages go back to the broker (acks_late) and are delivered again. But a task blocked inside a
database call can't run the cancel signal's handler until the call returns (a SQLite busy wait
lasts up to 20 s), and Celery's shutdown waits for it. So every stop signal also sets a deadline:
pool processes whose task is still running a moment after the grace period are killed outright,
and the main process hands their messages back and exits.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from billiard.process import active_children
from celery.worker import state
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
    timer = threading.Timer(delay, _kill_unfinished, args=(_running_jobs(),))
    timer.daemon = True
    timer.start()


def _running_jobs() -> list[Any]:
    """The pool's jobs (billiard ApplyResults) of the tasks running now."""
    jobs = []
    for request in list(state.active_requests):
        reference = getattr(request, "_apply_result", None)  # Celery's weak ref to the job
        job = reference() if reference is not None else None
        if job is not None:
            jobs.append(job)
    return jobs


def _kill_unfinished(jobs: list[Any]) -> None:
    # Only the child of a job still unfinished: an idle child is stopped by Celery itself, and
    # killing one that waits on the pool's shared queue lock would leave that lock held for good.
    alive = {child.pid for child in active_children() if child.is_alive()}
    for job in jobs:
        if job.ready():
            continue
        for pid in job.worker_pids():
            if pid in alive:
                logger.warning("Killing pool process %s: its task outlived the grace period", pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue  # it ended meanwhile
