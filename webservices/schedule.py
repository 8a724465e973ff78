"""Celery beat entries for the web services; portal/settings.py merges them into the schedule.

Plain data (no Django imports) so settings can import it.
"""

from __future__ import annotations

WEBSERVICES_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "webservices-purge-request-log": {
        "task": "webservices.purge_request_log",
        "schedule": 3600.0,  # seconds: calls leave the log within an hour of turning 30 days old
    },
}
