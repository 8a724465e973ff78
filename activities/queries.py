"""The Activities list: one provider's activities, filtered, and its export rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from activities.models import Activity
from learners.exports import Value
from learners.models import RecordStatus
from portal.models import Provider

REMS = "REMS"


@dataclass(frozen=True)
class ActivityListFilters:
    q: str = ""
    status: str = ""
    format: str = ""
    reporting_year: int | None = None
    board: str = ""  # a board code, or REMS


def activity_list(*, provider: Provider, filters: ActivityListFilters) -> QuerySet[Activity]:
    """The provider's activities matching every filter given, newest first, with learner counts."""
    activities = Activity.objects.for_provider(provider).select_related("format")
    if filters.q:
        activities = activities.filter(
            Q(title__icontains=filters.q)
            | Q(provider_activity_id__icontains=filters.q)
            | Q(activity_id=filters.q)
        )
    if filters.status:
        activities = activities.filter(status=filters.status)
    if filters.format:
        activities = activities.filter(format__code=filters.format)
    if filters.reporting_year is not None:
        activities = activities.filter(reporting_year=filters.reporting_year)
    if filters.board == REMS:
        activities = activities.filter(rems_registered=True)
    elif filters.board:
        activities = activities.filter(moc_registrations__board__code=filters.board)
    live = Count("records", filter=~Q(records__status=RecordStatus.DELETED))
    return (
        activities.annotate(learner_count=live)
        .prefetch_related("moc_registrations__board")
        .order_by("-start_date", "activity_id")
    )


def activity_years(provider: Provider) -> list[int]:
    years = Activity.objects.for_provider(provider).values_list("reporting_year", flat=True)
    return sorted(set(years), reverse=True)


EXPORT_HEADER = (
    "ACCME Activity ID", "Provider Activity ID", "Activity Title", "Activity Format",
    "Start Date", "End Date", "Credit Claim Date", "Reporting Year", "Status",
    "AMA PRA Category 1 Credits", "Providership", "Joint Providers", "City", "State", "Country",
    "Commercial Support", "Physicians", "Other Learners", "MOC Registrations", "REMS",
    "Learners Reported",
)  # fmt: skip


def export_rows(activities: Iterable[Activity]) -> Iterator[tuple[Value, ...]]:
    for a in activities:
        boards = "; ".join(f"{r.board.code} {r.points}" for r in a.moc_registrations.all())
        support = (
            None if a.commercial_support is None else ("Yes" if a.commercial_support else "No")
        )
        yield (
            a.activity_id, a.provider_activity_id, a.title, a.format.name, a.start_date,
            a.end_date, a.credit_claim_date, a.reporting_year, a.get_status_display(),
            a.ama_credits, a.get_providership_display(), "; ".join(a.joint_provider_names),
            a.city, a.state, a.country, support, a.physician_count, a.other_learner_count,
            boards, "Yes" if a.rems_registered else "No", getattr(a, "learner_count", None),
        )  # fmt: skip
