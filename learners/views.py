"""Activity Learner Summary and Learner Search: provider-scoped read-only screens."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from learners.models import Activity, CompletionRecord, RecordStatus
from portal.access import provider_required


@require_GET
@provider_required
def activity_summary(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    status_counts = {
        f"n_{status.value}": Count("records", filter=Q(records__status=status.value))
        for status in RecordStatus
    }
    activities = (
        Activity.objects.for_provider(provider)
        .select_related("format")
        .annotate(**status_counts)
        .order_by("-start_date", "activity_id")
    )
    return render(
        request,
        "learners/activity_summary.html",
        {"activities": activities, "statuses": list(RecordStatus), "nav": "summary"},
    )


@require_GET
@provider_required
def activity_detail(request: HttpRequest, activity_id: str) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    activity = get_object_or_404(Activity.objects.for_provider(provider), activity_id=activity_id)
    records = activity.records.select_related("learner", "board").order_by("-completion_date", "id")
    return render(
        request,
        "learners/activity_detail.html",
        {"activity": activity, "records": records, "nav": "summary"},
    )


@require_GET
@provider_required
def learner_search(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    name = request.GET.get("name", "").strip()
    records = CompletionRecord.objects.none()
    if name:
        records = (
            CompletionRecord.objects.for_provider(provider)
            .filter(Q(learner__last_name__icontains=name) | Q(learner__first_name__icontains=name))
            .select_related("learner", "activity", "board")
            .order_by("learner__last_name", "-completion_date")[:500]
        )
    return render(
        request,
        "learners/learner_search.html",
        {"records": records, "name": name, "nav": "search"},
    )
