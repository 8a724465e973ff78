"""A batch file (learners or activities), its processing state and its event history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from learners.engine.programs import Program
from portal.models import Provider


class UploadStatus(models.TextChoices):
    # A possible duplicate waiting for the user's "Yes, upload file": stored, but not yet queued,
    # so it neither holds the one-upload lock nor appears in the history.
    PENDING = "pending", "Awaiting confirmation"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# While an upload is in one of these, its provider may not start another (a database fact).
ACTIVE_STATUSES = (UploadStatus.QUEUED, UploadStatus.PROCESSING)
FINAL_STATUSES = (UploadStatus.COMPLETED, UploadStatus.FAILED, UploadStatus.CANCELLED)


class FileType(models.TextChoices):
    TXT = "txt", "Tab Delimited (.txt)"
    CSV = "csv", "Comma-Separated (.csv)"
    XML = "xml", "XML (.xml)"
    XLSX = "xlsx", "Excel (.xlsx)"


class UploadKind(models.TextChoices):
    """What the file holds: the wizard's first choice."""

    LEARNERS = "learners", "Learners"
    ACTIVITIES = "activities", "Activities"


class Mode(models.TextChoices):
    SUBMIT = "submit", "Submit learners"
    CHECK = "check", "Check file only"


def upload_path(instance: Upload, filename: str) -> str:
    return f"uploads/{instance.provider.accme_id}/{filename}"


def report_path(instance: Upload, filename: str) -> str:
    return f"reports/{instance.provider.accme_id}/{filename}"


class UploadEventType(models.TextChoices):
    CREATED = "created", "Created"
    DUPLICATE_DETECTED = "duplicate_detected", "Potential duplicate detected"
    DUPLICATE_CONFIRMED = "duplicate_confirmed", "Duplicate upload confirmed"
    DISPATCH_FAILED = "dispatch_failed", "Could not reach the task queue"
    STARTED = "started", "Processing started"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    REQUEUED = "requeued", "Re-queued after a stall"
    REDISPATCHED = "redispatched", "Dispatched again"
    RERUN = "rerun", "Re-run by an admin"
    CANCELLED = "cancelled", "Cancelled"
    EMAIL_QUEUED = "email_queued", "Email queued"
    FILES_REMOVED = "files_removed", "Stored files removed"


class UploadQuerySet(models.QuerySet["Upload"]):
    def for_provider(self, provider: Provider) -> UploadQuerySet:
        return self.filter(provider=provider)

    def active(self) -> UploadQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def visible(self) -> UploadQuerySet:
        """Uploads a user sees in the history: everything but unconfirmed duplicates."""
        return self.exclude(status=UploadStatus.PENDING)


class Upload(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="uploads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    file = models.FileField(upload_to=upload_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=10, choices=UploadKind.choices, default=UploadKind.LEARNERS)
    file_type = models.CharField(max_length=4, choices=FileType.choices)
    program = models.CharField(max_length=5, choices=Program.choices, default=Program.BOARD)
    mode = models.CharField(max_length=6, choices=Mode.choices, default=Mode.SUBMIT)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.QUEUED
    )
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)
    rejected_records = models.PositiveIntegerField(default=0)
    progress_records = models.PositiveIntegerField(
        default=0, help_text="Rows judged so far, for the progress bar."
    )
    duplicate_override = models.BooleanField(
        default=False, help_text="The user confirmed upload of a potential duplicate file."
    )
    report_file = models.FileField(upload_to=report_path, max_length=300, blank=True)
    report_csv_file = models.FileField(upload_to=report_path, max_length=300, blank=True)
    error_message = models.TextField(blank=True)
    # Claims so far; a claim bumps it, and a run only writes while its own number is current,
    # so a stalled run that wakes up after recovery cannot overwrite the newer one.
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the broker last took it; empty while unsent.",
    )
    # The Celery task that holds the claim: a redelivery of that same task (its worker died) may
    # take the claim over at once; any other run waits for the heartbeat to go stale.
    task_id = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker processing it."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    files_removed_at = models.DateTimeField(null=True, blank=True)
    # The stored records this upload's Delete rows removed: its summary shows them, as a
    # delete-only upload otherwise "processed" records that no list would show.
    deleted_records = models.ManyToManyField(
        "learners.CompletionRecord", blank=True, related_name="deleted_by_uploads"
    )
    # Rejected rows fixed in the browser go in as a new upload of their own: it names the first
    # upload of the chain, and which of the chain's rejected rows it sends again (see
    # uploads/corrections.py), so the rows it leaves out stay to be fixed.
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrections",
        help_text="The upload whose rejected rows this one corrects, fixed in the browser.",
    )
    corrected_rows = models.JSONField(
        default=list,
        blank=True,
        help_text="The rejected rows this correction sends again, in file order.",
    )

    objects = UploadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=models.Q(status__in=["queued", "processing"]),
                name="one_active_upload_per_provider",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "original_name", "file_type", "size"]),
            # The recovery sweep looks at the few active uploads every ten seconds.
            models.Index(
                fields=["status", "heartbeat_at"],
                condition=models.Q(status__in=["queued", "processing"]),
                name="upload_active_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_activities(self) -> bool:
        return self.kind == UploadKind.ACTIVITIES

    @property
    def record_noun(self) -> str:
        """How screens and emails name one of the file's records."""
        return "activity record" if self.is_activities else "learner record"

    @property
    def records_noun(self) -> str:
        return f"{self.record_noun}s"

    @property
    def is_check(self) -> bool:
        return self.mode == Mode.CHECK

    @property
    def has_report(self) -> bool:
        return bool(self.report_file) and self.files_removed_at is None

    @property
    def progress_percent(self) -> int:
        if self.is_final:
            return 100
        if not self.total_records:
            return 0
        return min(100, round(100 * self.progress_records / self.total_records))


class UploadEvent(models.Model):
    """One thing that happened to an upload: created, started, progress, completed, failed, …"""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=UploadEventType.choices)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.type} at {self.created_at:%Y-%m-%d %H:%M:%S}"
