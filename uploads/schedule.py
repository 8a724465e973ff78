"""Celery beat entries for uploads; portal/settings.py merges them into CELERY_BEAT_SCHEDULE.

Plain data (no Django imports) so settings can import it.
"""

from __future__ import annotations

# The recovery sweep is cheap (a few indexed queries); it runs often so a dead run or an unsent
# upload is found within seconds. A sweep no worker took before the next one is due is dropped
# (`expires`), so a worker back from an outage doesn't first work through a backlog of them.
RECOVERY_INTERVAL_SECONDS = 10.0

UPLOAD_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "uploads-recover-stuck": {
        "task": "uploads.recover_stuck_uploads",
        "schedule": RECOVERY_INTERVAL_SECONDS,
        "options": {"expires": RECOVERY_INTERVAL_SECONDS},
    },
    "uploads-remove-expired-files": {
        "task": "uploads.remove_expired_upload_files",
        "schedule": 3600.0,
    },
}
