"""The activity services every door calls: judge an activity with the rules, then store it.

  activity_submit         one activity from a screen or the admin (Add, Update, status change)
  activity_delete         delete while it has no learner records (106/492 otherwise)
  activity_save           SaveActivity: ACCMEActivities Data in, echoed Data and codes out
  activity_rows_process   a batch file's activities, a chunk of look-ups at a time (batch.py)
  activity_search         GetActivity's criteria

Storing is one transaction per activity; the unique Provider Activity ID is a database fact, so
two doors adding the same id at once get one activity and one 103.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from activities.facts import ActivityError, CleanActivity, ExistingActivity, Lookups, fail
from activities.inputs import ADD, DELETE, ActivityInput, input_from_activity
from activities.load import activity_lookups, existing_activities
from activities.models import Activity, ActivityStatus, MocRegistration, own_id_key
from activities.status import Judged, judge
from activities.xml import ActivityDataError, echo_with_activity_id, parse_activity_xml
from learners.engine.results import RowError
from learners.engine.rules import lacks_for_learners
from learners.models import ActivityFormat
from portal.models import Provider


@dataclass
class ActivityOutcome:
    """What became of one activity: its errors, or the stored activity (None after a delete)."""

    action: str = ""
    errors: list[ActivityError] = field(default_factory=list)
    activity: Activity | None = None

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


def find_existing(
    provider: Provider, item: ActivityInput
) -> tuple[ExistingActivity | None, str | None]:
    """The stored activity the input names by ACCME id, and the ACCME id of another activity of
    this provider already using its Provider Activity ID (None when the id is free)."""
    found = existing_activities(
        provider,
        accme_ids=[item.accme_activity_id],
        provider_activity_ids=[item.provider_activity_id],
    )
    existing = next((a for a in found if a.activity_id == item.accme_activity_id), None)
    taken_by = next(
        (
            a.activity_id
            for a in found
            if own_id_key(a.provider_activity_id) == own_id_key(item.provider_activity_id)
            and a is not existing
        ),
        None,
    )
    return existing, taken_by


def activity_judge(
    *,
    provider: Provider,
    item: ActivityInput,
    today: date,
    lookups: Lookups | None = None,
    reporting_year_required: bool = False,
) -> tuple[Judged, ExistingActivity | None]:
    """Every Appendix A error of one activity, looked up and judged (nothing stored)."""
    existing, taken_by = find_existing(provider, item)
    judged = judge(
        item,
        lookups=lookups or activity_lookups(provider),
        existing=existing,
        taken_by=taken_by,
        today=today,
        reporting_year_required=reporting_year_required,
    )
    return judged, existing


def activity_submit(
    *, provider: Provider, item: ActivityInput, today: date, reporting_year_required: bool = False
) -> ActivityOutcome:
    """Judge one activity (Add, Update or Delete) and store it when it passes."""
    judged, existing = activity_judge(
        provider=provider, item=item, today=today, reporting_year_required=reporting_year_required
    )
    if not judged.accepted:
        return ActivityOutcome(action=judged.action, errors=judged.errors)
    return activity_store(provider=provider, judged=judged, existing=existing, item=item)


def activity_store(
    *, provider: Provider, judged: Judged, existing: ExistingActivity | None, item: ActivityInput
) -> ActivityOutcome:
    """Apply an accepted judgement; a race the database refuses becomes the code it means."""
    try:
        activity = _apply(judged.action, provider, existing, judged.clean)
    except IntegrityError:  # ProtectedError is one too
        if judged.action == DELETE:
            # A learner record arrived between our check and the delete.
            accme_id = existing.activity_id if existing else ""
            error = fail("accme_activity_id", "106", activity_id=accme_id, count="new")
        else:
            # Another request took the Provider Activity ID between our check and our insert.
            shown = item.provider_activity_id
            error = fail("provider_activity_id", "103", activity_id=shown)
        return ActivityOutcome(action=judged.action, errors=[error])
    return ActivityOutcome(action=judged.action, activity=activity)


def activity_delete(*, provider: Provider, activity: Activity, today: date) -> ActivityOutcome:
    """Delete an activity of this provider that has no learner records (106/492 otherwise)."""
    item = ActivityInput(
        action=DELETE,
        accme_activity_id=activity.activity_id,
        provider_activity_id=activity.provider_activity_id,
    )
    return activity_submit(provider=provider, item=item, today=today)


def activity_change(
    *, provider: Provider, activity: Activity, today: date, **changes: object
) -> ActivityOutcome:
    """An Update of the stored activity with some values changed (a board, the status)."""
    item = dataclasses.replace(input_from_activity(activity), **changes)  # type: ignore[arg-type]
    return activity_submit(provider=provider, item=item, today=today)


@transaction.atomic
def _apply(
    action: str, provider: Provider, existing: ExistingActivity | None, clean: CleanActivity
) -> Activity | None:
    if action == DELETE:
        assert existing is not None
        Activity.objects.filter(pk=existing.pk).delete()
        return None
    if action == ADD or existing is None:
        activity = Activity(provider=provider)
    else:
        activity = Activity.objects.select_for_update().get(pk=existing.pk)
    is_new = activity.pk is None
    _set_values(activity, clean)
    activity.save()
    if not is_new:
        # An Update sends the whole activity: its registrations replace the stored ones.
        activity.specialties.clear()
        activity.moc_registrations.all().delete()
    _store_registrations(activity, clean)
    return activity


def _store_registrations(activity: Activity, clean: CleanActivity) -> None:
    """Specialties and MOC registrations with their credit types, a few INSERTs in all."""
    specialties = Activity.specialties.through
    specialties.objects.bulk_create(
        [specialties(activity_id=activity.pk, specialty_id=pk) for pk in clean.specialty_ids]
    )
    registrations = MocRegistration.objects.bulk_create(
        [
            MocRegistration(
                activity=activity,
                board_id=moc.board_pk,
                points=moc.points,
                practice_area_id=moc.practice_area_id,
            )
            for moc in clean.moc
        ]
    )
    types = MocRegistration.credit_types.through
    types.objects.bulk_create(
        [
            types(mocregistration_id=registration.pk, credittype_id=type_pk)
            for registration, moc in zip(registrations, clean.moc, strict=True)
            for type_pk in moc.credit_type_ids
        ]
    )


def _set_values(activity: Activity, clean: CleanActivity) -> None:
    assert clean.format is not None and clean.start_date is not None
    activity.provider_activity_id = clean.provider_activity_id
    activity.title = clean.title
    activity.format_id = clean.format.pk
    activity.start_date = clean.start_date
    activity.end_date = clean.end_date
    activity.credit_claim_date = clean.credit_claim_date
    activity.ama_credits = clean.ama_credits
    activity.status = clean.status
    activity.description = clean.description
    activity.url = clean.url
    activity.city, activity.state, activity.country = clean.city, clean.state, clean.country
    activity.providership = clean.providership
    activity.joint_providers = "\n".join(clean.joint_providers)
    activity.commercial_support = clean.commercial_support
    activity.physician_count = clean.physician_count
    activity.other_learner_count = clean.other_learner_count
    activity.rems_registered = clean.rems


# -- SaveActivity -------------------------------------------------------------------------------


@dataclass
class ActivitySaveOutcome:
    errors: list[RowError]  # the web service's shape: code and message
    data: str  # the Data to echo: as sent, with the assigned ACCME Activity ID after an Add
    activity_id: str = ""
    notes: list[str] = field(default_factory=list)  # what the caller should know (a draft)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def unreadable(self) -> bool:
        """The Data could not be read as one activity at all (453)."""
        return any(item.code == "453" for item in self.errors)


def activity_save(
    *, provider: Provider, data: str, reporting_year: str, today: date
) -> ActivitySaveOutcome:
    """SaveActivity: judge one ACCMEActivities activity and add, update or delete it."""
    try:
        parsed = parse_activity_xml(data)
    except ActivityDataError as exc:
        return ActivitySaveOutcome(errors=[RowError(exc.error.code, exc.error.message)], data=data)
    item = parsed.input
    item = dataclasses.replace(item, reporting_year=reporting_year)
    outcome = activity_submit(
        provider=provider, item=item, today=today, reporting_year_required=True
    )
    if not outcome.accepted:
        errors = [RowError(e.code, e.message) for e in outcome.errors]
        return ActivitySaveOutcome(errors=errors, data=data)
    notes = draft_notes(outcome.activity) if outcome.activity is not None else []
    if outcome.action == ADD and outcome.activity is not None:
        activity_id = outcome.activity.activity_id
        echoed = echo_with_activity_id(parsed, activity_id)
        return ActivitySaveOutcome(errors=[], data=echoed, activity_id=activity_id, notes=notes)
    return ActivitySaveOutcome(
        errors=[], data=data, activity_id=item.accme_activity_id, notes=notes
    )


def draft_notes(activity: Activity) -> list[str]:
    """Accepted as a Draft: say so, and whether learners may be reported on it yet (749)."""
    if activity.status != ActivityStatus.DRAFT:
        return []
    stored = f"Activity {activity.activity_id} is stored as a Draft: Active needs more of it"
    lacking = lacks_for_learners(activity)
    if lacking:
        return [f"{stored}; learners can't be reported on it until it has its {', '.join(lacking)}"]
    return [f"{stored}; learners may be reported on it (it has its dates, credits, providership)"]


# -- GetActivity --------------------------------------------------------------------------------


class ActivitySearchError(Exception):
    """The search criteria can't be used; the message says why."""


SEARCH_LIMIT = 200


def activity_search(
    *,
    provider: Provider,
    activity_id: int | None = None,
    start_date: date | None = None,
    type_name: str = "",
    provider_activity_id: str = "",
) -> list[Activity]:
    """The provider's activities matching every criterion given (at least one), newest first."""
    if activity_id is None and start_date is None and not type_name and not provider_activity_id:
        raise ActivitySearchError(
            "Give at least one of ActivityID, ActivityStartDate, ActivityTypeName or "
            "ProviderActivityId."
        )
    activities = Activity.objects.for_provider(provider)
    if activity_id is not None:
        activities = activities.filter(activity_id=f"{activity_id:09d}" if activity_id >= 0 else "")
    if start_date is not None:
        activities = activities.filter(start_date=start_date)
    if type_name:
        activity_format = ActivityFormat.objects.filter(name__iexact=type_name).first()
        if activity_format is None:
            names = ", ".join(
                ActivityFormat.objects.order_by("name").values_list("name", flat=True)
            )
            raise ActivitySearchError(
                f"ActivityTypeName '{type_name}' is not an activity type; use one of: {names}."
            )
        activities = activities.filter(format=activity_format)
    if provider_activity_id:
        activities = activities.with_provider_activity_ids([provider_activity_id])
    return list(
        with_registrations(activities).order_by("-start_date", "activity_id")[:SEARCH_LIMIT]
    )


def with_registrations(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """Everything `input_from_activity` reads, fetched in a fixed number of queries."""
    return activities.select_related("format", "provider").prefetch_related(
        "specialties",
        "moc_registrations__board",
        "moc_registrations__practice_area",
        "moc_registrations__credit_types",
    )


def activities_mark_ready_to_close(*, today: date) -> int:
    """Active activities whose end date has passed are Ready to Close (one conditional UPDATE)."""
    return Activity.objects.filter(status=ActivityStatus.ACTIVE, end_date__lt=today).update(
        status=ActivityStatus.READY_TO_CLOSE
    )
