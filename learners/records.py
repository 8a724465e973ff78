"""What provider staff look up and do on their reported learners: the summary and search lists,
a hand-entered completion and the deletion of one record.

The lists are queries scoped to one provider; entering and deleting are rows for the same engine
(learners/services.py) as a file row or a web-service call, so they get the same codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from activities.models import Activity, MocRegistration
from learners.engine.names import name_key
from learners.engine.programs import Program
from learners.engine.results import RowResult
from learners.engine.rows import LearnerRow
from learners.engine.services import learner_record_save
from learners.engine.values import format_date
from learners.models import (
    Board,
    CompletionRecord,
    Learner,
    LearnerBoardId,
    LearnerLicense,
    RecordSource,
    RecordStatus,
)
from portal.models import Provider

CME_ONLY = "CME"
REMS = "REMS"


@dataclass(frozen=True)
class ActivityFilters:
    """The Activity Learner Summary filters; empty values filter nothing."""

    title: str = ""
    provider_activity_id: str = ""
    program: str = ""  # a board code, CME_ONLY or REMS
    reporting_year: int | None = None


def activity_program_choices(provider: Provider) -> list[tuple[str, str]]:
    """The "Board or program name" options: CME only, each board, and REMS for REMS providers."""
    choices = [(CME_ONLY, "CME (no MOC)")]
    choices += [(board.code, f"{board.code} — {board.name}") for board in Board.objects.all()]
    if provider.participates_in_rems:
        choices.append((REMS, "Opioid Analgesic REMS"))
    return choices


def activity_reporting_years(provider: Provider) -> list[int]:
    years = Activity.objects.for_provider(provider).values_list("reporting_year", flat=True)
    return sorted(set(years), reverse=True)


def _program_filter(program: str) -> Q:
    registrations = MocRegistration.objects.filter(activity=OuterRef("pk"))
    if program == CME_ONLY:
        return ~Q(Exists(registrations))
    if program == REMS:
        return Q(rems_registered=True)
    return Q(Exists(registrations.filter(board__code=program)))


def activity_summary_list(*, provider: Provider, filters: ActivityFilters) -> QuerySet[Activity]:
    """The provider's activities matching every given filter, newest first.

    Their learner counts come from `with_record_counts`, for the activities shown: counting a
    big provider's every record to show 25 activities would cost each page view the whole
    aggregate (twice, with the paginator's count).
    """
    activities = Activity.objects.for_provider(provider)
    if filters.title:
        activities = activities.filter(title__icontains=filters.title)
    if filters.provider_activity_id:
        activities = activities.filter(provider_activity_id__icontains=filters.provider_activity_id)
    if filters.program:
        activities = activities.filter(_program_filter(filters.program))
    if filters.reporting_year is not None:
        activities = activities.filter(reporting_year=filters.reporting_year)
    return (
        activities.select_related("format")
        .prefetch_related("moc_registrations__board")
        .order_by("-start_date", "activity_id")
    )


def with_record_counts(
    activities: Iterable[Activity], *, batch: int = 500, first_batch: int | None = None
) -> Iterator[Activity]:
    """Each activity with its learner counts by status (`n_accepted`, …, and `n_live`, every
    status but Deleted), counted with one grouped query per batch of activities.

    A smaller `first_batch` lets an export stream its first rows once they are counted, not
    after counting a big provider's every record (which took it past 300 ms).
    """
    pending: list[Activity] = []
    size = first_batch or batch
    for activity in activities:
        pending.append(activity)
        if len(pending) == size:
            yield from _counted(pending)
            pending, size = [], batch
    yield from _counted(pending)


def _counted(activities: list[Activity]) -> list[Activity]:
    found = (
        CompletionRecord.objects.filter(activity__in=[a.pk for a in activities])
        .values_list("activity_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(activity, status): n for activity, status, n in found}
    for a in activities:
        for status in RecordStatus:
            setattr(a, f"n_{status.value}", counts.get((a.pk, status.value), 0))
        a.n_live = sum(  # type: ignore[attr-defined]
            counts.get((a.pk, s.value), 0) for s in RecordStatus if s != RecordStatus.DELETED
        )
    return activities


@dataclass(frozen=True)
class LearnerSearchFilters:
    """The Learner Search criteria; empty values filter nothing."""

    first_name: str = ""
    last_name: str = ""
    board_id: str = ""
    npi_or_license: str = ""
    birth_month: int | None = None
    birth_day: int | None = None
    activity: str = ""  # an ACCME Activity ID, a Provider Activity ID or words of the title
    completed_from: date | None = None
    completed_to: date | None = None
    status: str = ""


def _directory_learners(filters: LearnerSearchFilters) -> QuerySet[Learner] | None:
    """The directory physicians named by the name and birthday criteria (None: no such
    criterion), looked up in the directory's own indexes before any record is read."""
    learners = Learner.objects.all()
    if filters.first_name:
        learners = learners.filter(first_name_key__contains=name_key(filters.first_name))
    if filters.last_name:
        learners = learners.filter(last_name_key__contains=name_key(filters.last_name))
    if filters.birth_month is not None:
        learners = learners.filter(birth_month=filters.birth_month)
    if filters.birth_day is not None:
        learners = learners.filter(birth_day=filters.birth_day)
    return learners if learners.query.where else None


def _holders(value: str) -> list[int]:
    """Physicians holding this NPI, licence id or board id (each an indexed look-up)."""
    return sorted(
        {
            *Learner.objects.filter(npi=value).values_list("pk", flat=True),
            *LearnerLicense.objects.filter(license_id__iexact=value).values_list(
                "learner_id", flat=True
            ),
        }
    )


def _identity_filters(filters: LearnerSearchFilters) -> Q:
    query = Q()
    learners = _directory_learners(filters)
    if learners is not None:
        query &= Q(learner__in=learners.values("pk"))
    if filters.board_id:
        # The id reported on the record, or any board id the matched physician holds.
        holders = LearnerBoardId.objects.filter(diplomate_id__iexact=filters.board_id)
        holder_ids = list(holders.values_list("learner_id", flat=True))
        query &= Q(diplomate_id__iexact=filters.board_id) | Q(learner_id__in=holder_ids)
    if filters.npi_or_license:
        value = filters.npi_or_license
        query &= Q(npi=value) | Q(license_id__iexact=value) | Q(learner_id__in=_holders(value))
    return query


def _completion_filters(provider: Provider, filters: LearnerSearchFilters) -> Q:
    query = Q()
    if filters.activity:
        value = filters.activity
        named = (
            Q(activity_id=value) | Q(provider_activity_id__iexact=value) | Q(title__icontains=value)
        )
        # The provider's few activities are searched first; their records by their index.
        activities = Activity.objects.for_provider(provider).filter(named)
        query &= Q(activity_id__in=list(activities.values_list("pk", flat=True)))
    if filters.completed_from is not None:
        query &= Q(completion_date__gte=filters.completed_from)
    if filters.completed_to is not None:
        query &= Q(completion_date__lte=filters.completed_to)
    if filters.status:
        query &= Q(status=filters.status)
    return query


def learner_search_list(
    *, provider: Provider, filters: LearnerSearchFilters
) -> QuerySet[CompletionRecord]:
    """The provider's reported learner completions matching every given criterion, newest first."""
    return (
        CompletionRecord.objects.for_provider(provider)
        .filter(_identity_filters(filters) & _completion_filters(provider, filters))
        .select_related("learner", "activity", "board")
        .order_by("-created_at", "-id")
    )


def newest_first_in_pages(
    records: QuerySet[CompletionRecord], *, size: int = 1000, first: int = 100
) -> Iterator[CompletionRecord]:
    """`learner_search_list`'s records, read a page at a time by keyset (created_at, id).

    Each page is a short query that starts where the last one ended, so an export of any length
    holds no cursor open and keeps one page in memory. The first page is small: the download
    starts before the rest is read.
    """
    after: tuple[datetime, int] | None = None
    limit = first
    while True:
        page = records
        if after is not None:
            moment, pk = after
            # `created_at <= moment` bounds the index range; the OR only sorts out the ties.
            page = page.filter(
                Q(created_at__lte=moment) & (Q(created_at__lt=moment) | Q(pk__lt=pk))
            )
        batch = list(page[:limit])
        yield from batch
        if len(batch) < limit:
            return
        limit = size
        after = (batch[-1].created_at, batch[-1].pk)


def activity_record_list(*, activity: Activity) -> QuerySet[CompletionRecord]:
    """Everyone reported on one activity, with every status, newest completion first."""
    return activity.records.select_related("learner", "board").order_by("-completion_date", "-id")


def rems_entry_allowed(*, provider: Provider, activity: Activity) -> bool:
    """REMS learners are entered on REMS-registered activities of providers that take part."""
    return activity.rems_registered and provider.participates_in_rems


def activity_entry_choices(*, provider: Provider) -> QuerySet[Activity]:
    """The activities a learner can be entered on, newest first.

    Not a closed one (481), nor a draft that lacks what a learner report needs (749: the engine's
    `lacks_for_learners`, here as a query).
    """
    incomplete_draft = Q(status=Activity.Status.DRAFT) & (
        Q(end_date__isnull=True)
        | Q(credit_claim_date__isnull=True)
        | Q(ama_credits__isnull=True)
        | Q(providership="")
    )
    return (
        Activity.objects.for_provider(provider)
        .exclude(incomplete_draft)
        .exclude(status=Activity.Status.CLOSED)
        .order_by("-start_date", "activity_id")
    )


def manual_credit_id() -> str:
    """Hand-entered records get a Credit ID no file or web service can collide with."""
    return f"M-{uuid.uuid4().hex}"


def learner_manual_enter(
    *, provider: Provider, row: LearnerRow, program: str = "board", today: date
) -> RowResult:
    """Judge one hand-entered completion with the engine and store it when it passes."""
    row = replace(row, record_action="Add", credit_id=manual_credit_id())
    [result] = learner_record_save(
        provider=provider, rows=[row], program=program, source=RecordSource.MANUAL, today=today
    )
    return result


def completion_record_delete(
    *, provider: Provider, record: CompletionRecord, today: date
) -> RowResult:
    """Delete one of the provider's records as a file's Delete row would (records are never
    edited: delete and add again), so the same rules apply, e.g. 706 past the deletion deadline.
    Deleting a record already deleted is accepted and changes nothing.
    """
    row = LearnerRow(
        row_number=1,
        record_action="Delete",
        activity_id=record.activity.activity_id,
        completion_date=format_date(record.completion_date),
        credit_id=record.credit_id,
        learner_local_id=record.rems_learner_local_id,
    )
    program = (
        Program.REMS
        if record.learner_id is None and record.rems_learner_local_id
        else Program.BOARD
    )
    [result] = learner_record_save(
        provider=provider, rows=[row], program=program, source=RecordSource.MANUAL, today=today
    )
    return result
