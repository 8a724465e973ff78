"""The domain the engine judges: boards, the learner directory and completion records.

Activities and their registrations live in the activities app.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Upper

from portal.models import Provider

ten_digits = RegexValidator(r"^\d{10}$", "An NPI is 10 digits.")
me_digits = RegexValidator(r"^\d{10,11}$", "An ME number is 10 or 11 digits.")


class Board(models.Model):
    """A certifying board that takes MOC credit (ABIM, ABP, …): data, not code."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CreditType(models.Model):
    """A kind of MOC credit a board recognises (e.g. ABIM Medical Knowledge)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="credit_types")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["board__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["board", "name"], name="credit_type_unique_per_board")
        ]

    def __str__(self) -> str:
        return f"{self.board.code} {self.name}"


class ActivityFormat(models.Model):
    """An ACCME activity format (Live Course, Enduring Material, …)."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Learner(models.Model):
    """A physician in the directory learners are matched against (synthetic data only)."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Normalised names (case, accents, spaces, hyphens, apostrophes removed) for bulk matching.
    first_name_key = models.CharField(max_length=100, db_index=True, editable=False)
    last_name_key = models.CharField(max_length=100, db_index=True, editable=False)
    birth_month = models.PositiveSmallIntegerField()
    birth_day = models.PositiveSmallIntegerField()
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    npi = models.CharField(
        "NPI", max_length=10, null=True, blank=True, unique=True, validators=[ten_digits]
    )
    # The AMA Medical Education number: legacy ACCMELearnerRecords v1 identify learners by it.
    me_number = models.CharField(
        "ME number", max_length=11, null=True, blank=True, unique=True, validators=[me_digits]
    )
    medical_school = models.CharField(max_length=200, blank=True)
    us_licensed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name_key", "first_name_key"]),
            # Learner Search by birthday. Its name criteria ("contains") use trigram indexes
            # on PostgreSQL, created by migration 0009.
            models.Index(fields=["birth_month", "birth_day"], name="learner_birthday"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_month__gte=1, birth_month__lte=12),
                name="learner_birth_month_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_day__gte=1, birth_day__lte=31),
                name="learner_birth_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.birth_month:02d}/{self.birth_day:02d})"

    def save(self, *args: object, **kwargs: object) -> None:
        from learners.engine.names import name_key  # the engine imports these models

        self.first_name_key = name_key(self.first_name)
        self.last_name_key = name_key(self.last_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class LearnerLicense(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="licenses")
    state = models.CharField(max_length=2)
    license_id = models.CharField(max_length=50)

    class Meta:
        ordering = ["state", "license_id"]
        constraints = [
            models.UniqueConstraint(fields=["state", "license_id"], name="license_unique_per_state")
        ]
        # Learner Search finds a licence id in any case (iexact).
        indexes = [models.Index(Upper("license_id"), name="license_id_upper")]

    def __str__(self) -> str:
        return f"{self.state} {self.license_id}"


class LearnerBoardId(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="board_ids")
    board = models.ForeignKey(Board, on_delete=models.PROTECT)
    diplomate_id = models.CharField("certifying board id", max_length=50)

    class Meta:
        ordering = ["board__code", "diplomate_id"]
        verbose_name = "learner board id"
        constraints = [
            models.UniqueConstraint(
                fields=["board", "diplomate_id"], name="diplomate_id_unique_per_board"
            )
        ]
        # Learner Search finds a board id in any case (iexact).
        indexes = [models.Index(Upper("diplomate_id"), name="diplomate_id_upper")]

    def __str__(self) -> str:
        return f"{self.board.code} {self.diplomate_id}"


class RecordStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    SUBMITTED = "submitted", "Submitted"
    TRANSMITTED = "transmitted", "Transmitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DELETED = "deleted", "Deleted"


class RecordSource(models.TextChoices):
    FILE = "file", "File upload"
    WEB_SERVICE = "web_service", "Web service"
    MANUAL = "manual", "Manual entry"


class CompletionRecordQuerySet(models.QuerySet["CompletionRecord"]):
    def for_provider(self, provider: Provider) -> CompletionRecordQuerySet:
        return self.filter(provider=provider)

    def live(self) -> CompletionRecordQuerySet:
        return self.exclude(status=RecordStatus.DELETED)


class CompletionRecord(models.Model):
    """One learner's credit for one activity on one date. Never edited: deleted and added again."""

    # No single-column indexes on provider and activity: the (provider, credit_id) constraint and
    # the composite indexes below start with them, and every index costs each inserted record.
    # On PostgreSQL one foreign key holds both, (activity, provider) → the activity with its
    # provider (migration 0012): a record is on one of its own provider's activities, and each
    # inserted record costs the database one check where two keys cost two. Elsewhere (SQLite,
    # the laptop default) PROTECT guards them in Django alone.
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    learner = models.ForeignKey(
        Learner, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    credit_id = models.CharField("Credit ID", max_length=100)
    completion_date = models.DateField()
    ama_credits = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    licensing_state = models.CharField(max_length=2, blank=True)
    license_id = models.CharField(max_length=50, blank=True)
    npi = models.CharField(max_length=10, blank=True)
    # Not indexed: no query looks records up by board alone (each starts from a provider or an
    # activity), and for "has a board" the index led the planner to read millions of entries.
    board = models.ForeignKey(
        Board, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    diplomate_id = models.CharField("certifying board id", max_length=50, blank=True)
    moc_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # [{"type": "Medical Knowledge", "points": "1.50"}, …]
    moc_credits = models.JSONField(default=list, blank=True)
    # Opioid Analgesic REMS: de-identified learner facts.
    rems_learner_local_id = models.CharField(max_length=100, blank=True)
    rems_profession = models.CharField(max_length=50, blank=True)
    rems_practice_area = models.CharField(max_length=60, blank=True)
    rems_dea_registration = models.CharField(max_length=20, blank=True)
    rems_practice_state = models.CharField(max_length=2, blank=True)
    rems_time_in_practice = models.CharField(max_length=30, blank=True)
    rems_performs_surgery = models.BooleanField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RecordStatus.choices)
    # Whether the record counts (not Deleted), kept by the database. The constraints below test
    # it rather than the status, so no index names the status: a board's answer (Submitted →
    # Approved) then changes no indexed column, and PostgreSQL writes it in place, with free
    # room left in each page (fillfactor, migration 0011), instead of adding to every index.
    live = models.GeneratedField(
        expression=Case(When(status=RecordStatus.DELETED, then=Value(False)), default=Value(True)),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    board_codes = models.JSONField(
        "board rejection codes", default=list, blank=True, help_text="Codes a board sent back."
    )
    source = models.CharField(max_length=12, choices=RecordSource.choices)
    upload = models.ForeignKey(
        "uploads.Upload", on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    source_row = models.PositiveIntegerField(null=True, blank=True)
    # Indexed with the provider (below): every list of records is one provider's, newest first.
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompletionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            # A record's own key. A REMS report's participants share its Credit ID, one record
            # each; a board record's key is its first Credit ID (or one the engine made).
            models.UniqueConstraint(
                fields=["provider", "credit_id", "rems_learner_local_id"],
                name="record_key_unique_per_provider",
            ),
            # 709 as a database fact: one live completion per learner, activity and date.
            models.UniqueConstraint(
                fields=["activity", "learner", "completion_date"],
                condition=models.Q(live=True, learner__isnull=False),
                name="one_live_completion_per_learner",
            ),
            models.UniqueConstraint(
                fields=["activity", "rems_learner_local_id", "completion_date"],
                condition=models.Q(live=True, learner__isnull=True)
                & ~models.Q(rems_learner_local_id=""),
                name="one_live_completion_per_rems_learner",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "activity", "learner", "completion_date"]),
            models.Index(fields=["activity", "board", "diplomate_id", "completion_date"]),
            # Learner Search by board id: the id the record itself was reported with, any case
            # (the records of the directory's holders of that id are found by their learner).
            models.Index(F("provider"), Upper("diplomate_id"), name="record_board_id_upper"),
            # Learner Search and its export: a provider's records newest first, a page at a
            # time (keyset on created_at, id), without walking every provider's records. The
            # ids a search compares are carried along, so a search by learner or id reads the
            # index alone (an index-only scan), not a big provider's every record.
            models.Index(
                fields=["provider", "-created_at", "-id"],
                include=["learner", "npi", "license_id", "diplomate_id"],
                name="record_provider_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credit_id} ({self.get_status_display()})"


class RecordCreditId(models.Model):
    """A Credit ID a sender gave (XML, web services): every certificate's, each used once.

    A record holds one per CreditCertificate; a REMS report's Credit ID is held once, by its
    first participant's record. The constraint makes "a Credit ID is used once" a database fact.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, db_index=False)
    credit_id = models.CharField("Credit ID", max_length=100)
    record = models.ForeignKey(
        CompletionRecord, on_delete=models.CASCADE, related_name="credit_ids"
    )

    class Meta:
        verbose_name = "record Credit ID"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "credit_id"], name="record_credit_id_unique_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return self.credit_id
