"""Sending an upload to a worker: after the commit, recorded when the broker took it.

`dispatched_at` is set only once a send succeeded, so an upload queued while the broker was down
is known to the recovery sweep (`uploads/recovery.py`), which sends it again once the broker is
back. Sending twice is harmless: a run first claims the upload (`uploads/processing.py`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.dispatch import task_send
from uploads import events
from uploads.models import Upload, UploadStatus


def upload_dispatch(*, upload: Upload) -> None:
    """Send the upload to a worker once the row that says so is committed."""
    upload_id = upload.pk
    transaction.on_commit(lambda: upload_send_to_worker(upload_id=upload_id))


def upload_send_to_worker(*, upload_id: int) -> bool:
    """Send now; on a broker outage record it (no error for the user) and return False."""
    from uploads.tasks import process_upload

    error = task_send(process_upload, upload_id)
    if error is None:
        Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
            dispatched_at=timezone.now()
        )
        return True
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is not None:
        events.upload_dispatch_failed_event(upload=upload, error=repr(error))
    return False
