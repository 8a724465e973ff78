"""Activities and their registrations: what a provider reports learners on.

The tables keep the names they had when activities lived in the learners app (`db_table`), so
moving the models changed no data.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Upper

from learners.engine.values import own_id_key
from portal.models import Provider

nine_digits = RegexValidator(r"^\d{9}$", "An ACCME Activity ID is 9 digits.")

# ACCME Activity IDs are handed out from here upwards, like PARS's (e.g. 200931353).
ACTIVITY_ID_BASE = 200_000_000


class ActivityIdSequence(models.Model):
    """One row per assigned ACCME Activity ID: the auto key makes assignment safe under concurrency."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "learners_activityidsequence"

    def __str__(self) -> str:
        return f"{ACTIVITY_ID_BASE + self.pk:09d}"


def next_activity_id() -> str:
    with transaction.atomic():
        ticket = ActivityIdSequence.objects.create()
    return f"{ACTIVITY_ID_BASE + ticket.pk:09d}"


class Specialty(models.Model):
    """A specialty an activity's target audience may name (hx:specialty): data, not code."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class PracticeArea(models.Model):
    """A practice area a board asks MOC registrations to name (e.g. ABPath Cytopathology)."""

    board = models.ForeignKey("learners.Board", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["board__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["board", "name"], name="practice_area_unique_per_board")
        ]

    def __str__(self) -> str:
        return f"{self.board} {self.name}"


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    READY_TO_CLOSE = "ready_to_close", "Ready to Close"
    CLOSED = "closed", "Closed"


class Providership(models.TextChoices):
    DIRECT = "direct", "Direct"
    JOINT = "joint", "Joint"


class ActivityQuerySet(models.QuerySet["Activity"]):
    def for_provider(self, provider: Provider) -> ActivityQuerySet:
        return self.filter(provider=provider)

    def with_own_key(self) -> ActivityQuerySet:
        """The queryset able to filter by `own_key_in` (the key the constraint compares)."""
        return self.alias(own_key=Upper("provider_activity_id"))

    def with_provider_activity_ids(self, ids: Iterable[str]) -> ActivityQuerySet:
        """The activities holding any of these Provider Activity IDs, in any case."""
        return self.with_own_key().filter(own_key_in(ids))


def own_key_in(ids: Iterable[str]) -> models.Q:
    """Any of these Provider Activity IDs, in any case (on a queryset `with_own_key`)."""
    return models.Q(own_key__in={own_id_key(i) for i in ids})


class Activity(models.Model):
    Status = ActivityStatus

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="activities")
    activity_id = models.CharField(
        "ACCME Activity ID", max_length=9, unique=True, editable=False, validators=[nine_digits]
    )
    provider_activity_id = models.CharField("Provider Activity ID", max_length=50)
    title = models.CharField(max_length=500)
    format = models.ForeignKey("learners.ActivityFormat", on_delete=models.PROTECT)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    credit_claim_date = models.DateField(
        null=True, blank=True, help_text="Learners may claim credit until this date."
    )
    ama_credits = models.DecimalField(
        "AMA PRA Category 1 credits offered", max_digits=6, decimal_places=2, null=True, blank=True
    )
    reporting_year = models.PositiveSmallIntegerField(editable=False)
    status = models.CharField(
        max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.ACTIVE
    )
    description = models.TextField("description of content", blank=True)
    url = models.CharField("URL", max_length=500, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state or province", max_length=100, blank=True)
    country = models.CharField("country (ISO 3166 alpha-3)", max_length=3, blank=True)
    providership = models.CharField(max_length=6, choices=Providership.choices, blank=True)
    joint_providers = models.TextField(
        "joint provider names", blank=True, help_text="One name per line."
    )
    commercial_support = models.BooleanField("commercial support received", null=True, blank=True)
    physician_count = models.PositiveIntegerField(
        "physicians (including residents)", null=True, blank=True
    )
    other_learner_count = models.PositiveIntegerField("other learners", null=True, blank=True)
    specialties = models.ManyToManyField(
        Specialty, blank=True, related_name="activities", db_table="activities_activity_specialties"
    )
    rems_registered = models.BooleanField("registered for Opioid Analgesic REMS", default=False)
    repeat_participation = models.BooleanField(
        "learners may complete it more than once", default=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        db_table = "learners_activity"
        ordering = ["-start_date", "activity_id"]
        verbose_name_plural = "activities"
        constraints = [
            # One activity per Provider Activity ID in any case: see own_id_key.
            models.UniqueConstraint(
                "provider", Upper("provider_activity_id"), name="provider_activity_id_unique"
            ),
            # What a completion record points at (learners migration 0012): an activity together
            # with its provider, so no record can sit under one provider on another's activity.
            models.UniqueConstraint(fields=["id", "provider"], name="activity_with_its_provider"),
            models.CheckConstraint(
                condition=models.Q(activity_id__regex=r"^[0-9]{9}$"), name="activity_id_9_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="activity_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_claim_date__gte=models.F("end_date")),
                name="activity_claim_not_before_end",
            ),
            models.CheckConstraint(
                condition=models.Q(ama_credits__gte=0), name="activity_ama_credits_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"], name="activity_provider_status")]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.activity_id:
            self.activity_id = next_activity_id()
        self.reporting_year = self.start_date.year
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def joint_provider_names(self) -> list[str]:
        return [name for name in self.joint_providers.splitlines() if name.strip()]


class MocRegistration(models.Model):
    """An activity's registration with one certifying board: points offered and credit types."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="moc_registrations"
    )
    board = models.ForeignKey("learners.Board", on_delete=models.PROTECT)
    points = models.DecimalField("MOC points offered", max_digits=6, decimal_places=2)
    credit_types = models.ManyToManyField("learners.CreditType", blank=True)
    practice_area = models.ForeignKey(
        PracticeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "learners_mocregistration"
        ordering = ["activity", "board__code"]
        verbose_name = "MOC registration"
        constraints = [
            models.UniqueConstraint(fields=["activity", "board"], name="moc_registration_unique"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="moc_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.activity.activity_id} {self.board.code} {self.points}"
