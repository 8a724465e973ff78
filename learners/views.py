"""Activity Learner Summary, Learner Search, manual entry and Learner Match: provider staff screens.

Views parse the request, scope every look-up to the user's provider (an outsider gets 404) and
call a service in learners/records.py or learners/matching.py; they hold no rules.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.models import Activity
from learners.engine.matching import learner_match as engine_learner_match
from learners.engine.results import RowResult
from learners.exports import (
    ACTIVITY_SUMMARY_HEADER,
    CONTENT_TYPES,
    EXPORT_FORMATS,
    LEARNER_SEARCH_HEADER,
    activity_summary_rows,
    export_chunks,
    learner_search_rows,
)
from learners.forms import (
    ActivityFilterForm,
    EntryForm,
    EntryProblem,
    LearnerMatchForm,
    LearnerSearchForm,
    ManualEntryForm,
    RemsEntryForm,
    entry_prefill,
)
from learners.models import CompletionRecord, RecordStatus
from learners.records import (
    activity_entry_choices,
    activity_record_list,
    activity_summary_list,
    completion_record_delete,
    learner_manual_enter,
    learner_search_list,
    newest_first_in_pages,
    rems_entry_allowed,
    with_record_counts,
)
from learners.xlsx import FIRST_CHUNK_ROWS
from portal.access import provider_required
from portal.paging import page_of

PER_PAGE = 25  # PARS's "Showing 1 - 25 of N"
LEARNERS_PER_PAGE = 50  # one activity's learners


def _export(fmt: str, header: tuple[str, ...], rows: Any, *, name: str) -> StreamingHttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    stamp = timezone.localtime().strftime("%Y_%m_%d_%H_%M_%S")
    # Streamed: the first rows leave while the rest are read, and memory stays flat.
    response = StreamingHttpResponse(
        export_chunks(fmt, header, rows, title=name.replace("_", " ")),
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
    page = page_of(request, activities, PER_PAGE)
    page.object_list = list(with_record_counts(page.object_list))
    context = {
        "form": form,
        "page": page,
        "filtered": any(form.cleaned_data.values()),
        "nav": "summary",
    }
    return render(request, "learners/activity_summary.html", context)


@require_GET
@provider_required
def activity_summary_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    provider = request.provider  # type: ignore[attr-defined]
    form = ActivityFilterForm(request.GET, provider=provider)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/activity_summary.html", nav="summary")
    activities = activity_summary_list(provider=provider, filters=form.filters())
    counted = with_record_counts(activities.iterator(chunk_size=500), first_batch=FIRST_CHUNK_ROWS)
    rows = activity_summary_rows(counted)
    return _export(fmt, ACTIVITY_SUMMARY_HEADER, rows, name="activity_learner_summary")


# -- One activity: its learners, manual entry, delete -----------------------------------------


@require_GET
@provider_required
def activity_detail(request: HttpRequest, activity_id: str) -> HttpResponse:
    """The activity with its learners; manual entry is linked at the top."""
    provider = request.provider  # type: ignore[attr-defined]
    activity = _get_activity(request, activity_id)
    context = {
        "activity": activity,
        "registrations": activity.moc_registrations.select_related("board").prefetch_related(
            "credit_types"
        ),
        "page": page_of(request, activity_record_list(activity=activity), LEARNERS_PER_PAGE),
        "takes_rems": rems_entry_allowed(provider=provider, activity=activity),
        "nav": "summary",
    }
    return render(request, "learners/activity_detail.html", context)


def _entry_form_class(request: HttpRequest, activity: Activity) -> type[EntryForm]:
    """The REMS form when asked for (`program=rems`) and the activity takes REMS learners."""
    provider = request.provider  # type: ignore[attr-defined]
    asked = request.POST.get("program") or request.GET.get("program") or ManualEntryForm.program
    if asked != RemsEntryForm.program:
        return ManualEntryForm
    if not rems_entry_allowed(provider=provider, activity=activity):
        raise _NotForRems
    return RemsEntryForm


class _NotForRems(Exception):
    """REMS entry asked for on an activity (or by a provider) without Opioid Analgesic REMS."""


NOT_FOR_REMS = "This activity does not take Opioid Analgesic REMS learners."


@require_http_methods(["GET", "POST"])
@provider_required
def manual_entry(request: HttpRequest, activity_id: str) -> HttpResponse:
    """One hand-entered learner completion, judged by the same engine as a file row.

    GET: the form (its identity fields pre-filled from the query string, as a single Learner
    Match result links here), and what the previous entry stored (`stored=`). POST: the entry.
    """
    provider = request.provider  # type: ignore[attr-defined]
    activity = _get_activity(request, activity_id)
    try:
        form_class = _entry_form_class(request, activity)
    except _NotForRems:
        if request.method == "GET":
            raise Http404(NOT_FOR_REMS) from None
        return _entry_page(request, ManualEntryForm(activity=activity), refused=NOT_FOR_REMS)
    if request.method == "GET":
        form = form_class(initial=entry_prefill(request.GET), activity=activity)
        return _entry_page(request, form, stored=_stored(request, activity))
    form = form_class(request.POST, activity=activity)
    if not form.is_valid():
        return _entry_page(request, form, problems=form.form_problems())
    result = learner_manual_enter(
        provider=provider, row=form.learner_row(), program=form.program, today=timezone.localdate()
    )
    if not result.accepted:
        problems = form.show_rejection(result.errors)
        return _entry_page(request, form, problems=problems, rejected=result)
    record = CompletionRecord.objects.for_provider(provider).get(credit_id=result.credit_id)
    query = urlencode({"program": form.program, "stored": record.pk})
    return redirect(f"{reverse('learners:manual_entry', args=[activity.activity_id])}?{query}")


def _stored(request: HttpRequest, activity: Activity) -> CompletionRecord | None:
    """The record the previous entry stored on this activity, to say what it became."""
    provider = request.provider  # type: ignore[attr-defined]
    pk = request.GET.get("stored", "")
    if not pk.isdigit():
        return None
    records = CompletionRecord.objects.for_provider(provider).filter(activity=activity)
    return records.select_related("learner", "board").filter(pk=int(pk)).first()


def _entry_page(
    request: HttpRequest,
    form: EntryForm,
    *,
    problems: list[EntryProblem] | None = None,
    rejected: RowResult | None = None,
    stored: CompletionRecord | None = None,
    refused: str = "",
) -> HttpResponse:
    """The entry page: after a rejection the summary first (focused), the fields marked, and
    what was typed kept."""
    provider = request.provider  # type: ignore[attr-defined]
    activity = form.activity
    context = {
        "activity": activity,
        "form": form,
        "rems": form.program == RemsEntryForm.program,
        "takes_rems": rems_entry_allowed(provider=provider, activity=activity),
        "registrations": activity.moc_registrations.exists(),
        "problems": problems or ([EntryProblem("", refused)] if refused else []),
        "rejected": rejected,
        "stored": stored,
        "nav": "summary",
    }
    status = 400 if context["problems"] else 200
    return render(request, "learners/manual_entry.html", context, status=status)


@require_GET
@provider_required
def manual_entry_choose(request: HttpRequest) -> HttpResponse:
    """Enter a completion for a matched learner: choose the activity, then the pre-filled form."""
    provider = request.provider  # type: ignore[attr-defined]
    prefill = entry_prefill(request.GET)
    chosen = request.GET.get("activity", "")
    if chosen:
        activity = _get_activity(request, chosen)
        url = reverse("learners:manual_entry", args=[activity.activity_id])
        return redirect(f"{url}?{urlencode(prefill)}")
    context = {
        "prefill": prefill,
        "activities": activity_entry_choices(provider=provider),
        "nav": "search",
    }
    return render(request, "learners/manual_entry_choose.html", context)


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
def learner_search_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    provider = request.provider  # type: ignore[attr-defined]
    form = LearnerSearchForm(request.GET)
    if not form.is_valid():
        return _invalid_filters(request, form, "learners/learner_search.html", nav="search")
    records = learner_search_list(provider=provider, filters=form.filters())
    rows = learner_search_rows(newest_first_in_pages(records))
    return _export(fmt, LEARNER_SEARCH_HEADER, rows, name="learner_search")


# -- Learner Match -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@provider_required
def learner_match(request: HttpRequest) -> HttpResponse:
    """How many directory physicians fit an identity: 1 means a record with it will match.

    Values that can't match anyone are said in words beside their fields, not as "0 matched".
    `?activity=`: the activity a manual entry came from, where a single match leads back.
    """
    activity = _match_activity(request)
    if request.method == "GET":
        blank = {"form": LearnerMatchForm(), "activity": activity, "nav": "search"}
        return render(request, "learners/learner_match.html", blank)
    form = LearnerMatchForm(request.POST)
    if not form.is_valid():
        invalid = {"form": form, "activity": activity, "nav": "search"}
        return render(request, "learners/learner_match.html", invalid, status=400)
    answer = engine_learner_match(form.match_criteria())
    prefill = urlencode(form.entry_prefill())
    form.show_problems(answer.problems)
    context: dict[str, Any] = {
        "form": form,
        "activity": activity,
        "count": answer.count if answer.well_formed else None,
        "problems": answer.problems,
        "unmatchable": answer.well_formed and any(p.field for p in answer.problems),
        "entry_url": _entry_url(activity, prefill) if answer.count == 1 else "",
        "nav": "search",
    }
    status = 200 if answer.well_formed else 400
    return render(request, "learners/learner_match.html", context, status=status)


def _match_activity(request: HttpRequest) -> Activity | None:
    """The provider's activity named by `?activity=`, if any (anyone else's is no activity)."""
    chosen = request.GET.get("activity", "")
    if not chosen:
        return None
    provider = request.provider  # type: ignore[attr-defined]
    return Activity.objects.for_provider(provider).filter(activity_id=chosen).first()


def _entry_url(activity: Activity | None, prefill: str) -> str:
    if activity is None:
        return f"{reverse('learners:manual_entry_choose')}?{prefill}"
    return f"{reverse('learners:manual_entry', args=[activity.activity_id])}?{prefill}"
