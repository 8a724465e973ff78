"""Celery beat entries for emails; portal/settings.py merges them into CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

EMAIL_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "emails-send-overdue": {"task": "emails.send_overdue_emails", "schedule": 60.0},
}
