"""Bulk look-ups for the activity rules: reference data once, stored activities by the batch.

A file of 2,500 activities costs a fixed handful of queries here, never one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q

from activities.facts import BoardRef, ExistingActivity, FormatRef, Lookups
from activities.models import Activity, PracticeArea, Specialty, own_key_in
from learners.engine.load import load_boards
from learners.engine.values import control_character
from learners.models import ActivityFormat, CompletionRecord, RecordStatus
from portal.models import Provider

# Template D's Activity Type codes where they differ from the format table's own codes.
FORMAT_ALIASES = {"cml": "CL"}


def activity_lookups(provider: Provider) -> Lookups:
    """Formats (by name or code), boards with credit types and practice areas, specialties."""
    formats: dict[str, FormatRef] = {}
    for pk, code, name in ActivityFormat.objects.values_list("pk", "code", "name"):
        ref = FormatRef(pk=pk, code=code, name=name)
        formats[name.casefold()] = formats[code.casefold()] = ref
    for alias, code in FORMAT_ALIASES.items():
        if code.casefold() in formats:
            formats.setdefault(alias, formats[code.casefold()])
    areas: dict[int, dict[str, int]] = defaultdict(dict)
    for pk, board_id, name in PracticeArea.objects.values_list("pk", "board_id", "name"):
        areas[board_id][name.casefold()] = pk
    # The engine's boards and credit types: loaded one way for learners and activities.
    boards = {
        key: BoardRef(
            pk=board.pk,
            code=board.code,
            credit_types=dict(board.credit_type_ids),
            practice_areas=areas[board.pk],
        )
        for key, board in load_boards().items()
    }
    specialties = {name.casefold(): pk for pk, name in Specialty.objects.values_list("pk", "name")}
    return Lookups(
        formats=formats,
        boards=boards,
        specialties=specialties,
        rems_allowed=provider.participates_in_rems,
    )


def existing_activities(
    provider: Provider, *, accme_ids: Iterable[str] = (), provider_activity_ids: Iterable[str] = ()
) -> list[ExistingActivity]:
    """The provider's activities with any of these ids, with their learner-record facts.

    Another provider's activity is simply not found: it reads exactly like an unknown id.
    """
    wanted_accme = {i for i in accme_ids if len(i) == 9 and i.isdigit()}
    # An id holding a control character can't be stored (456), nor asked for (PostgreSQL refuses NUL).
    wanted_own = {i for i in provider_activity_ids if i and control_character(i) is None}
    if not wanted_accme and not wanted_own:
        return []
    rows = list(
        Activity.objects.for_provider(provider)
        .with_own_key()
        .filter(Q(activity_id__in=wanted_accme) | own_key_in(wanted_own))
        .values_list(
            "pk", "activity_id", "provider_activity_id", "status", "reporting_year", "format_id"
        )
    )
    held = _records_held([row[0] for row in rows])
    return [
        ExistingActivity(
            pk=pk,
            activity_id=activity_id,
            provider_activity_id=own_id,
            status=status,
            reporting_year=year,
            format_id=format_id,
            **held.get(pk, {}),
        )
        for pk, activity_id, own_id, status, year, format_id in rows
    ]


def _records_held(activity_pks: list[int]) -> dict[int, dict[str, Any]]:
    """Per activity, the ExistingActivity fields its records give: how many (all, live, live
    REMS), the live ones' first and last completion, most AMA credits, and per board with live
    records the most MOC points and the credit types given."""
    if not activity_pks:
        return {}
    live = ~Q(status=RecordStatus.DELETED)
    held: dict[int, dict[str, Any]] = {
        row["activity_id"]: {name: value for name, value in row.items() if name != "activity_id"}
        for row in CompletionRecord.objects.filter(activity_id__in=activity_pks)
        .order_by()
        .values("activity_id")
        .annotate(
            all_records=Count("id"),
            live_records=Count("id", filter=live),
            rems_records=Count("id", filter=live & ~Q(rems_learner_local_id="")),
            first_completion=Min("completion_date", filter=live),
            last_completion=Max("completion_date", filter=live),
            most_ama_credits=Max("ama_credits", filter=live),
        )
    }
    points: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for activity_pk, code, most in (
        CompletionRecord.objects.filter(live, activity_id__in=activity_pks, board__isnull=False)
        .order_by()
        .values("activity_id", "board__code")
        .annotate(most=Max("moc_points"))
        .values_list("activity_id", "board__code", "most")
    ):
        points[activity_pk][code] = most if most is not None else Decimal(0)
    for activity_pk, by_board in points.items():
        held[activity_pk]["boards_with_records"] = frozenset(by_board)
        held[activity_pk]["most_points"] = by_board
        held[activity_pk]["types_used"] = {}
    for activity_pk, code, credits in (
        CompletionRecord.objects.filter(live, activity_id__in=activity_pks, board__isnull=False)
        .exclude(moc_credits=[])
        .order_by()
        .values_list("activity_id", "board__code", "moc_credits")
        .distinct()  # a file's rows share their few lists of credit types
    ):
        used = held[activity_pk]["types_used"].setdefault(code, {})
        used.update((str(c["type"]).casefold(), str(c["type"])) for c in credits)
    return held
