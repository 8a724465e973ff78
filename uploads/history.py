"""View Upload History: a provider's uploads of the retention period, filtered and newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q

from portal.models import Provider
from uploads.models import ACTIVE_STATUSES, Upload, UploadKind, UploadQuerySet, UploadStatus

# The "Status" filter: what staff ask ("still running?", "anything to fix?"), not raw states.
RUNNING = "running"
WITH_REJECTED_ROWS = "rejected_rows"
STATUS_FILTERS: dict[str, Q] = {
    RUNNING: Q(status__in=ACTIVE_STATUSES),
    UploadStatus.COMPLETED.value: Q(status=UploadStatus.COMPLETED),
    WITH_REJECTED_ROWS: Q(status=UploadStatus.COMPLETED, rejected_records__gt=0),
    UploadStatus.FAILED.value: Q(status=UploadStatus.FAILED),
    UploadStatus.CANCELLED.value: Q(status=UploadStatus.CANCELLED),
}
STATUS_FILTER_LABELS = [
    (RUNNING, "Queued or processing"),
    (UploadStatus.COMPLETED.value, "Completed"),
    (WITH_REJECTED_ROWS, "Completed, with records not processed"),
    (UploadStatus.FAILED.value, "Failed"),
    (UploadStatus.CANCELLED.value, "Cancelled"),
]


@dataclass(frozen=True)
class HistoryFilters:
    """The history filters; empty values filter nothing."""

    name: str = ""
    status: str = ""
    kind: str = ""
    file_type: str = ""
    program: str = ""


def upload_history_rows(*, provider: Provider) -> UploadQuerySet:
    """The provider's uploads as history rows show them: with the upload each corrects and the
    corrections of each (rows fixed in the browser)."""
    corrections = Prefetch("corrections", queryset=Upload.objects.visible().order_by("pk"))
    return (
        Upload.objects.for_provider(provider)
        .visible()
        .select_related("user", "corrects")
        .prefetch_related(corrections)
    )


def upload_history_list(
    *, provider: Provider, since: datetime, filters: HistoryFilters
) -> UploadQuerySet:
    """The provider's uploads since `since` that match every filter, newest first."""
    uploads = upload_history_rows(provider=provider).filter(created_at__gte=since)
    if filters.name:
        uploads = uploads.filter(original_name__icontains=filters.name)
    if filters.status:
        uploads = uploads.filter(STATUS_FILTERS[filters.status])
    if filters.kind:
        uploads = uploads.filter(kind=filters.kind)
    if filters.file_type:
        uploads = uploads.filter(file_type=filters.file_type)
    if filters.program:
        # A program is a learner file's: activity files have none.
        uploads = uploads.filter(program=filters.program, kind=UploadKind.LEARNERS)
    return uploads.order_by("-created_at", "-id")
