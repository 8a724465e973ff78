"""Sending tasks to the broker from a request or a task, when the broker may be down.

A send must cost its sender (a user's upload request, a worker finishing a file) about a second,
not Celery's default patience, and must never turn committed work into an error: whatever was not
sent stays recorded in the database, and a periodic sweep sends it again once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)

# One quick retry for a stale pooled connection, then give up.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


class QuickToGiveUpTask(Task):
    """A task whose sending (delay, apply_async, retries) gives up fast on a broker outage."""

    def apply_async(
        self,
        args: Any = None,
        kwargs: Any = None,
        task_id: Any = None,
        producer: Any = None,
        link: Any = None,
        link_error: Any = None,
        shadow: Any = None,
        **options: Any,
    ) -> Any:
        options.setdefault("retry_policy", PUBLISH_RETRY_POLICY)
        return super().apply_async(
            args, kwargs, task_id, producer, link, link_error, shadow, **options
        )


def task_send(task: Task, *args: Any) -> Exception | None:
    """Send `task(*args)`; the error (logged, not raised) when the broker could not take it."""
    try:
        task.delay(*args)
    except Exception as exc:
        logger.exception("Could not send %s%r to the broker", task.name, args)
        return exc
    return None
