"""Activity Learner Summary, Learner Search, manual entry and Learner Match: provider staff screens.

Views parse the request, scope every look-up to the user's provider (an outsider gets 404) and
call a service in learners/records.py or learners/matching.py; they hold no rules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.models import Activity
from learners.engine.matching import learner_match as engine_learner_match
from learners.engine.results import RowResult
from learners.exports import (
    ACTIVITY_SUMMARY_HEADER,
    CONTENT_TYPES,
    EXPORT_FORMATS,
    LEARNER_SEARCH_HEADER,
    activity_summary_rows,
    export_bytes,
    learner_search_rows,
)
from learners.forms import (
    ActivityFilterForm,
    LearnerMatchForm,
    LearnerSearchForm,
    ManualEntryForm,
    RemsEntryForm,
)
from learners.models import CompletionRecord, RecordStatus
from learners.records import (
    activity_record_list,
    activity_summary_list,
    completion_record_delete,
    learner_manual_enter,
    learner_search_list,
    rems_entry_allowed,
)
from portal.access import provider_required
from portal.paging import page_of

PER_PAGE = 25  # PARS's "Showing 1 - 25 of N"
LEARNERS_PER_PAGE = 50  # one activity's learners


def _export(fmt: str, header: tuple[str, ...], rows: Any, *, name: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    stamp = timezone.localtime().strftime("%Y_%m_%d_%H_%M_%S")
    response = HttpResponse(
        export_bytes(fmt, header, rows, title=name.replace("_", " ")),
        content_type=CONTENT_TYPES[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="{name}_{stamp}.{fmt}"'
    return response


def _invalid_filters(
    request: HttpRequest, form: ActivityFilterForm | LearnerSearchForm, template: str, *, nav: str
) -> HttpResponse:
    """Bad filters get the form back with its messages and a 400, never a guess or a 500."""
    context = {"form": form, "page": None, "nav": nav}
    return render(request, template, context, status=400)


def _get_activity(request: HttpRequest, activity_id: str) -> Activity:
    provider = request.provider  # type: ignore[attr-defined]
    return get_object_or_404(
        Activity.objects.for_provider(provider).select_related("format"), activity_id=activity_id
    )


# -- Activity Learner Summary ------------------------------------------------------------------


@require_GET
@provider_required
def activity_summary(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = ActivityFilterForm(request.GET, provider=provider)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/activity_summary.html", nav="summary")
    activities = activity_summary_list(provider=provider, filters=form.filters())
    context = {
        "form": form,
        "page": page_of(request, activities, PER_PAGE),
        "filtered": any(form.cleaned_data.values()),
        "nav": "summary",
    }
    return render(request, "learners/activity_summary.html", context)


@require_GET
@provider_required
def activity_summary_export(request: HttpRequest, fmt: str) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = ActivityFilterForm(request.GET, provider=provider)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/activity_summary.html", nav="summary")
    activities = activity_summary_list(provider=provider, filters=form.filters())
    rows = activity_summary_rows(activities)
    return _export(fmt, ACTIVITY_SUMMARY_HEADER, rows, name="activity_learner_summary")


# -- One activity: its learners, manual entry, delete -----------------------------------------


def _activity_page(
    request: HttpRequest,
    activity: Activity,
    *,
    posted: ManualEntryForm | RemsEntryForm | None = None,
    rejected: RowResult | None = None,
    status: int = 200,
) -> HttpResponse:
    """The activity with its learners and the entry forms (the posted one kept as it was sent)."""
    provider = request.provider  # type: ignore[attr-defined]
    takes_rems = rems_entry_allowed(provider=provider, activity=activity)
    context = {
        "activity": activity,
        "registrations": activity.moc_registrations.select_related("board").prefetch_related(
            "credit_types"
        ),
        "page": page_of(request, activity_record_list(activity=activity), LEARNERS_PER_PAGE),
        "entry_form": _keep(posted, ManualEntryForm) or ManualEntryForm(activity=activity),
        "rems_form": (_keep(posted, RemsEntryForm) or RemsEntryForm(activity=activity))
        if takes_rems
        else None,
        "posted": posted.program if posted else "",
        "rejected": rejected,
        "nav": "summary",
    }
    return render(request, "learners/activity_detail.html", context, status=status)


def _keep(posted: object, form_class: type[Any]) -> Any:
    return posted if isinstance(posted, form_class) else None


@require_GET
@provider_required
def activity_detail(request: HttpRequest, activity_id: str) -> HttpResponse:
    return _activity_page(request, _get_activity(request, activity_id))


@require_POST
@provider_required
def manual_entry(request: HttpRequest, activity_id: str) -> HttpResponse:
    """One hand-entered learner completion, judged by the same engine as a file row."""
    provider = request.provider  # type: ignore[attr-defined]
    activity = _get_activity(request, activity_id)
    rems = request.POST.get("program") == RemsEntryForm.program
    if rems and not rems_entry_allowed(provider=provider, activity=activity):
        messages.error(request, "This activity does not take Opioid Analgesic REMS learners.")
        return _activity_page(request, activity, status=400)
    form_class = RemsEntryForm if rems else ManualEntryForm
    form = form_class(request.POST, activity=activity)
    if not form.is_valid():
        return _activity_page(request, activity, posted=form, status=400)
    result = learner_manual_enter(
        provider=provider,
        row=form.learner_row(),
        program=form.program,
        today=timezone.localdate(),
    )
    if not result.accepted:
        return _activity_page(request, activity, posted=form, rejected=result, status=400)
    record = CompletionRecord.objects.for_provider(provider).get(credit_id=result.credit_id)
    messages.success(
        request,
        f"Learner record {record.credit_id} was {record.get_status_display().lower()}.",
    )
    return redirect("learners:activity_detail", activity_id=activity.activity_id)


@require_http_methods(["GET", "POST"])
@provider_required
def record_delete(request: HttpRequest, activity_id: str, record_id: int) -> HttpResponse:
    """GET asks "are you sure?"; POST deletes (records are never edited: delete and add again)."""
    provider = request.provider  # type: ignore[attr-defined]
    activity = _get_activity(request, activity_id)
    records = CompletionRecord.objects.for_provider(provider).filter(activity=activity)
    record = get_object_or_404(records.select_related("learner", "board"), pk=record_id)
    context = {"activity": activity, "record": record, "nav": "summary"}
    if record.status == RecordStatus.DELETED:
        messages.info(request, f"Learner record {record.credit_id} is already deleted.")
        return redirect("learners:activity_detail", activity_id=activity.activity_id)
    if request.method == "GET":
        return render(request, "learners/record_delete.html", context)
    result = completion_record_delete(provider=provider, record=record, today=timezone.localdate())
    if not result.accepted:
        context["rejected"] = result
        return render(request, "learners/record_delete.html", context, status=400)
    messages.success(request, f"Learner record {record.credit_id} was deleted.")
    return redirect("learners:activity_detail", activity_id=activity.activity_id)


# -- Learner Search ----------------------------------------------------------------------------


@require_GET
@provider_required
def learner_search(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = LearnerSearchForm(request.GET)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/learner_search.html", nav="search")
    records = learner_search_list(provider=provider, filters=form.filters())
    context = {
        "form": form,
        "page": page_of(request, records, PER_PAGE),
        "filtered": any(value not in (None, "") for value in form.cleaned_data.values()),
        "nav": "search",
    }
    return render(request, "learners/learner_search.html", context)


@require_GET
@provider_required
def learner_search_export(request: HttpRequest, fmt: str) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = LearnerSearchForm(request.GET)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/learner_search.html", nav="search")
    records = learner_search_list(provider=provider, filters=form.filters())
    rows = learner_search_rows(records.iterator(chunk_size=2000))
    return _export(fmt, LEARNER_SEARCH_HEADER, rows, name="learner_search")


# -- Learner Match -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@provider_required
def learner_match(request: HttpRequest) -> HttpResponse:
    """How many directory physicians fit an identity: 1 means a record with it will match."""
    if request.method == "GET":
        context = {"form": LearnerMatchForm(), "nav": "search"}
        return render(request, "learners/learner_match.html", context)
    form = LearnerMatchForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "nav": "search"}
        return render(request, "learners/learner_match.html", context, status=400)
    answer = engine_learner_match(form.match_criteria())
    context = {
        "form": form,
        "count": answer.count if answer.well_formed else None,
        "reasons": answer.reasons,
        "nav": "search",
    }
    status = 200 if answer.well_formed else 400
    return render(request, "learners/learner_match.html", context, status=status)
