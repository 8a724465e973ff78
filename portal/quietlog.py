"""Keep the worker's and beat's logs readable: routine sweeps that run every few seconds are not news.

Celery logs every task received, finished and sent by beat at INFO. The upload recovery sweep runs
every 10 s and the unsent-email sweep every minute, so left alone they bury the lines that matter
(an upload processed, a worker restarted). Their INFO lines are dropped; a warning or an error from
them still shows.
"""

from __future__ import annotations

import logging

# Tasks that run on a short beat interval and do nothing most of the time.
ROUTINE_TASKS = ("uploads.recover_stuck_uploads", "emails.send_overdue_emails")
# The Celery loggers that write one INFO line per task received, finished or sent.
TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat")


class RoutineTaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        text = record.getMessage()
        return not any(name in text for name in ROUTINE_TASKS)


def quiet_routine_tasks() -> None:
    routine = RoutineTaskFilter()
    for name in TASK_LOGGERS:
        logging.getLogger(name).addFilter(routine)
