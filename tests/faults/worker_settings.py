"""Settings of the fault tests' workers: the portal's own, with faults noticed sooner."""

from __future__ import annotations

import os

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES

# A pool child's death is reported once this has passed (Celery waits 10 s for a late result).
CELERY_WORKER_LOST_WAIT = 1.0

# Tasks a worker sends itself (the periodic re-dispatch) go to the queue its test listens on.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("WORKER_DEFAULT_QUEUE", "celery")

# SQLite has no connection to cut: a lock held past the busy timeout is its outage.
if "SQLITE_BUSY_TIMEOUT" in os.environ and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"]["timeout"] = float(os.environ["SQLITE_BUSY_TIMEOUT"])
