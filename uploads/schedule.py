"""Celery beat entries for uploads; portal/settings.py merges them into CELERY_BEAT_SCHEDULE.

Plain data (no Django imports) so settings can import it.
"""

from __future__ import annotations

UPLOAD_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "uploads-recover-stuck": {
        "task": "uploads.recover_stuck_uploads",
        "schedule": 60.0,  # seconds
    },
    "uploads-remove-expired-files": {
        "task": "uploads.remove_expired_upload_files",
        "schedule": 3600.0,
    },
}
