"""Celery beat entries for activities; portal/settings.py merges them into CELERY_BEAT_SCHEDULE.

Plain data (no Django imports) so settings can import it.
"""

from __future__ import annotations

from celery.schedules import crontab

ACTIVITY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "activities-mark-ready-to-close": {
        "task": "activities.mark_ready_to_close",
        "schedule": crontab(hour=0, minute=10),
    },
}
