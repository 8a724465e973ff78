"""What to tell the uploader about an upload that is not finished: what is happening, honestly.

A pure function of the upload and the time, so the page and its tests agree: queued (for how
long), waiting for the task queue to come back, no worker for a minute, processing, retrying
after a stopped run, or a run gone quiet that recovery is about to restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings

from uploads.models import Upload, UploadStatus
from uploads.processing import max_attempts

# How long a queued upload may wait before the page says plainly that no worker has taken it.
NO_WORKER_AFTER = timedelta(minutes=1)
# The send after the commit takes milliseconds; unsent for longer, the broker was unreachable.
UNSENT_AFTER = timedelta(seconds=3)


class Phase(Enum):
    QUEUED = "queued"
    UNSENT = "unsent"  # the broker could not be reached; sent again once it is back
    NO_WORKER = "no_worker"  # queued for more than a minute
    PROCESSING = "processing"
    RETRYING = "retrying"  # a later attempt, after a run that stopped
    STALLED = "stalled"  # the run went quiet: recovery will queue it again


@dataclass(frozen=True)
class Situation:
    phase: Phase
    waited: str  # time in the queue so far, in words ("1 min 05 s")
    attempt: int
    attempts: int
    quiet_for: str = ""  # how long the worker has been silent (STALLED)

    @property
    def is_queued(self) -> bool:
        return self.phase in (Phase.QUEUED, Phase.UNSENT, Phase.NO_WORKER)


def upload_situation(upload: Upload, *, now: datetime) -> Situation | None:
    """The situation of a queued or processing upload; None once it is finished."""
    if upload.status == UploadStatus.QUEUED:
        return _queued(upload, now)
    if upload.status == UploadStatus.PROCESSING:
        return _processing(upload, now)
    return None


def _queued(upload: Upload, now: datetime) -> Situation:
    since = upload.queued_at or upload.created_at
    waited = now - since
    if upload.dispatched_at is None and waited > UNSENT_AFTER:
        phase = Phase.UNSENT
    elif waited >= NO_WORKER_AFTER:
        phase = Phase.NO_WORKER
    else:
        phase = Phase.QUEUED
    # `attempts` counts runs started so far: a queued upload's next run is one more.
    return Situation(phase, duration(waited), upload.attempts + 1, max_attempts())


def _processing(upload: Upload, now: datetime) -> Situation:
    queued = upload.queued_at or upload.created_at
    waited = duration((upload.started_at or now) - queued)
    beat = upload.heartbeat_at or upload.started_at or now
    if now - beat > settings.UPLOAD_STALE_AFTER:
        quiet = duration(now - beat)
        return Situation(Phase.STALLED, waited, upload.attempts, max_attempts(), quiet)
    phase = Phase.RETRYING if upload.attempts > 1 else Phase.PROCESSING
    return Situation(phase, waited, upload.attempts, max_attempts())


def duration(delta: timedelta) -> str:
    """12 s, 1 min 05 s, 2 h 03 min: how long, as a person says it."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
