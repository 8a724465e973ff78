"""The Activities tab: list, register, edit (status included), MOC and REMS registration, delete.

Thin: parse the request, scope every look-up to the user's provider (another provider's activity
is a 404), call a service in activities/services.py, render. Every change goes through the same
rules as SaveActivity and the batch upload, so the codes beside the fields are PARS's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.forms import ActivityFilterForm, ActivityForm, MocForm
from activities.inputs import ADD, ActivityInput, input_from_activity
from activities.models import Activity, ActivityStatus
from activities.queries import (
    EXPORT_HEADER,
    ActivityListFilters,
    activity_list,
    activity_years,
    export_rows,
)
from activities.services import (
    activity_change,
    activity_delete,
    activity_submit,
    with_registrations,
)
from learners.engine.rules import lacks_for_learners
from learners.exports import CONTENT_TYPES, EXPORT_FORMATS, export_bytes
from learners.models import Board
from portal.access import provider_required
from portal.paging import page_of

PER_PAGE = 25
NEXT_STATUSES: dict[str, list[str]] = {
    ActivityStatus.DRAFT: list(ActivityStatus.values),
    ActivityStatus.ACTIVE: [
        ActivityStatus.ACTIVE, ActivityStatus.READY_TO_CLOSE, ActivityStatus.CLOSED,
    ],
    ActivityStatus.READY_TO_CLOSE: [
        ActivityStatus.ACTIVE, ActivityStatus.READY_TO_CLOSE, ActivityStatus.CLOSED,
    ],
    ActivityStatus.CLOSED: [ActivityStatus.CLOSED],
}  # fmt: skip


def _activity(request: HttpRequest, activity_id: str) -> Activity:
    provider = request.provider  # type: ignore[attr-defined]
    activities = with_registrations(Activity.objects.for_provider(provider))
    return get_object_or_404(activities, activity_id=activity_id)


def _today() -> date:
    return timezone.localdate()


# -- List and export ---------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[ActivityFilterForm, Any]:
    provider = request.provider  # type: ignore[attr-defined]
    form = ActivityFilterForm(request.GET, years=activity_years(provider))
    if not form.is_valid():
        return form, None
    filters = ActivityListFilters(**form.cleaned_data)
    return form, activity_list(provider=provider, filters=filters)


@require_GET
@provider_required
def activity_list_view(request: HttpRequest) -> HttpResponse:
    form, activities = _filtered(request)
    context: dict[str, Any] = {"form": form, "nav": "activities", "page": None}
    if activities is None:
        return render(request, "activities/list.html", context, status=400)
    page = page_of(request, activities, PER_PAGE)
    context.update(page=page, filtered=any(v not in ("", None) for v in form.cleaned_data.values()))
    return render(request, "activities/list.html", context)


@require_GET
@provider_required
def activity_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    form, activities = _filtered(request)
    if activities is None:
        context = {"form": form, "nav": "activities", "page": None}
        return render(request, "activities/list.html", context, status=400)
    stamp = timezone.localtime().strftime("%Y_%m_%d_%H_%M_%S")
    data = export_bytes(fmt, EXPORT_HEADER, export_rows(activities), title="activities")
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="activities_{stamp}.{fmt}"'
    return response


# -- Register and edit -------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form: ActivityForm,
    *,
    activity: Activity | None,
    elsewhere: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "activity": activity,
        "elsewhere": elsewhere or [],
        "nav": "activities",
    }
    return render(request, "activities/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@provider_required
def activity_new(request: HttpRequest) -> HttpResponse:
    """Register an activity: saved as a draft, or active when it has what Active requires."""
    if request.method == "GET":
        initial = {"status": ActivityStatus.ACTIVE, "country": "USA"}
        return _form_page(request, ActivityForm(initial=initial), activity=None)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, activity=None, status=400)
    item = ActivityInput(action=ADD, **form.values())
    outcome = activity_submit(provider=request.provider, item=item, today=_today())  # type: ignore[attr-defined]
    if not outcome.accepted or outcome.activity is None:
        elsewhere = form.show_errors(outcome.errors)
        return _form_page(request, form, activity=None, elsewhere=elsewhere, status=400)
    activity = outcome.activity
    messages.success(
        request,
        f"Activity {activity.activity_id} was registered ({activity.get_status_display()}).",
    )
    return redirect("activities:detail", activity_id=activity.activity_id)


def _edit_initial(activity: Activity, status: str) -> dict[str, Any]:
    stored = input_from_activity(activity)
    initial = {name: getattr(stored, name) for name in ActivityForm.base_fields}
    initial["joint_providers"] = "\n".join(stored.joint_providers)
    initial["specialties"] = list(stored.specialties)
    if status in NEXT_STATUSES[ActivityStatus(activity.status)]:
        initial["status"] = status
    return initial


CLOSED_NOTE = "closed activities may not be edited (481)."


@require_http_methods(["GET", "POST"])
@provider_required
def activity_edit(request: HttpRequest, activity_id: str) -> HttpResponse:
    """Edit an activity, its status included; ?status=closed opens it ready to close."""
    activity = _activity(request, activity_id)
    statuses = NEXT_STATUSES[ActivityStatus(activity.status)]
    if request.method == "GET" and activity.status == ActivityStatus.CLOSED:
        # Said before the form is filled in, not after: the page offers no edit of it either.
        messages.error(request, f"Activity {activity.activity_id} is closed: {CLOSED_NOTE}")
        return redirect("activities:detail", activity_id=activity.activity_id)
    if request.method == "GET":
        initial = _edit_initial(activity, request.GET.get("status", activity.status))
        form = ActivityForm(initial=initial, statuses=statuses)
        return _form_page(request, form, activity=activity)
    form = ActivityForm(request.POST, statuses=statuses)
    if not form.is_valid():
        return _form_page(request, form, activity=activity, status=400)
    outcome = activity_change(
        provider=request.provider,  # type: ignore[attr-defined]
        activity=activity,
        today=_today(),
        **form.values(),
    )
    if not outcome.accepted or outcome.activity is None:
        elsewhere = form.show_errors(outcome.errors)
        return _form_page(request, form, activity=activity, elsewhere=elsewhere, status=400)
    saved = outcome.activity
    messages.success(
        request, f"Activity {saved.activity_id} was saved ({saved.get_status_display()})."
    )
    return redirect("activities:detail", activity_id=saved.activity_id)


# -- One activity: detail, MOC and REMS registration, delete -----------------------------------


def _detail_page(
    request: HttpRequest, activity: Activity, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "activity": activity,
        "registrations": activity.moc_registrations.all(),
        "rems_available": request.provider.participates_in_rems,  # type: ignore[attr-defined]
        "next_statuses": NEXT_STATUSES[ActivityStatus(activity.status)],
        "lacks_for_learners": lacks_for_learners(activity),
        "errors": errors or [],
        "nav": "activities",
    }
    return render(request, "activities/detail.html", context, status=status)


@require_GET
@provider_required
def activity_detail(request: HttpRequest, activity_id: str) -> HttpResponse:
    return _detail_page(request, _activity(request, activity_id))


def _moc_page(
    request: HttpRequest,
    activity: Activity,
    form: MocForm,
    *,
    elsewhere: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "activity": activity,
        "form": form,
        "registered": {r.board.code for r in activity.moc_registrations.all()},
        "elsewhere": elsewhere or [],
        "nav": "activities",
    }
    return render(request, "activities/moc.html", context, status=status)


def _moc_initial(activity: Activity, code: str) -> dict[str, Any]:
    for moc in input_from_activity(activity).moc:
        if moc.board == code:
            return {
                "board": code,
                "points": moc.points,
                "credit_types": list(moc.credit_types),
                "practice_area": moc.practice_area,
            }
    return {"board": code}


@require_http_methods(["GET", "POST"])
@provider_required
def activity_moc(request: HttpRequest, activity_id: str) -> HttpResponse:
    """Register the activity for MOC with one board (or change that registration).

    Choosing the board (GET ?board=…) shows that board's credit types and practice areas: a
    dependent choice that works without JavaScript, and in place with htmx.
    """
    activity = _activity(request, activity_id)
    code = (request.POST if request.method == "POST" else request.GET).get("board", "")
    board = Board.objects.filter(code=code).first()
    if request.method == "GET":
        form = MocForm(initial=_moc_initial(activity, board.code) if board else {}, board=board)
        return _moc_page(request, activity, form)
    form = MocForm(request.POST, board=board)
    if not form.is_valid():
        return _moc_page(request, activity, form, status=400)
    new = form.moc_input()
    stored = input_from_activity(activity).moc
    moc = (*(m for m in stored if m.board.casefold() != new.board.casefold()), new)
    outcome = activity_change(
        provider=request.provider,  # type: ignore[attr-defined]
        activity=activity,
        today=_today(),
        moc=moc,
    )
    if not outcome.accepted:
        elsewhere = form.show_errors(outcome.errors)
        return _moc_page(request, activity, form, elsewhere=elsewhere, status=400)
    messages.success(
        request, f"Activity {activity.activity_id} is registered for MOC with {new.board}."
    )
    return redirect("activities:detail", activity_id=activity.activity_id)


@require_http_methods(["GET", "POST"])
@provider_required
def activity_moc_remove(request: HttpRequest, activity_id: str, board: str) -> HttpResponse:
    """GET asks "are you sure?"; POST removes the board's registration (none with learners)."""
    activity = _activity(request, activity_id)
    stored = input_from_activity(activity).moc
    registration = next((m for m in stored if m.board == board), None)
    if registration is None:
        raise Http404("The activity is not registered with that board.")
    if request.method == "GET":
        facts = [("Board", board), ("Points", registration.points),
                 ("Credit types", ", ".join(registration.credit_types) or "—")]  # fmt: skip
        return _confirm(
            request, activity, question=f"Remove the {board} registration?", facts=facts,
            explanation=[f"Learners can then no longer be reported for {board} MOC credit on "
                         "this activity (670). A board whose learners are reported stays "
                         "registered (320)."],
            yes=f"Yes, remove the {board} registration", no="No, keep it", hidden=[],
        )  # fmt: skip
    outcome = activity_change(
        provider=request.provider,  # type: ignore[attr-defined]
        activity=activity,
        today=_today(),
        moc=tuple(m for m in stored if m.board != board),
    )
    if not outcome.accepted:
        errors = [f"{e.code}: {e.message}" for e in outcome.errors]
        return _detail_page(request, activity, errors=errors, status=400)
    messages.success(request, f"The {board} registration of {activity.activity_id} was removed.")
    return redirect("activities:detail", activity_id=activity.activity_id)


@require_http_methods(["GET", "POST"])
@provider_required
def activity_rems(request: HttpRequest, activity_id: str) -> HttpResponse:
    """Register the activity for Opioid Analgesic REMS, or remove the registration: GET asks
    "are you sure?", saying what changes for the learners; POST does it."""
    activity = _activity(request, activity_id)
    if request.method == "GET":
        return _confirm_rems(request, activity, register=request.GET.get("rems") == "yes")
    register = request.POST.get("rems") == "yes"
    outcome = activity_change(
        provider=request.provider,  # type: ignore[attr-defined]
        activity=activity,
        today=_today(),
        rems="yes" if register else "no",
    )
    if not outcome.accepted:
        errors = [f"{e.code}: {e.message}" for e in outcome.errors]
        return _detail_page(request, activity, errors=errors, status=400)
    done = "registered for" if register else "no longer registered for"
    messages.success(request, f"Activity {activity.activity_id} is {done} Opioid Analgesic REMS.")
    return redirect("activities:detail", activity_id=activity.activity_id)


def _confirm_rems(request: HttpRequest, activity: Activity, *, register: bool) -> HttpResponse:
    reported = activity.records.live().filter(rems_learner_local_id="").count()
    if register:
        explanation = [
            "From then on each learner reported on this activity is an Opioid Analgesic REMS "
            "learner: a row of a board or CME file on it is refused (714) and is reported in "
            "the REMS program instead."
        ]
        if reported:
            explanation.append(f"The {reported} learners already reported on it stay as they are.")
        question, yes = "Register for Opioid Analgesic REMS?", "Yes, register it for REMS"
    else:
        explanation = [
            "REMS learners can then no longer be reported on this activity (716). A REMS "
            "registration whose learners are reported stays (321)."
        ]
        question, yes = "Remove the REMS registration?", "Yes, remove the REMS registration"
    return _confirm(
        request, activity, question=question, facts=[], explanation=explanation, yes=yes,
        no="No, leave it as it is", hidden=[("rems", "yes" if register else "no")],
    )  # fmt: skip


def _confirm(
    request: HttpRequest,
    activity: Activity,
    *,
    question: str,
    facts: list[tuple[str, str]],
    explanation: list[str],
    yes: str,
    no: str,
    hidden: list[tuple[str, str]],
) -> HttpResponse:
    """The "are you sure?" page of a change to an activity's registrations; it posts back here."""
    context = {
        "activity": activity, "nav": "activities", "question": question, "facts": facts,
        "explanation": explanation, "yes": yes, "no": no, "hidden": hidden,
        "action": request.path,
    }  # fmt: skip
    return render(request, "activities/confirm.html", context)


@require_http_methods(["GET", "POST"])
@provider_required
def activity_delete_view(request: HttpRequest, activity_id: str) -> HttpResponse:
    """GET asks "are you sure?"; POST deletes, while the activity has no learner records."""
    activity = _activity(request, activity_id)
    context: dict[str, Any] = {"activity": activity, "nav": "activities", "errors": []}
    if request.method == "GET":
        return render(request, "activities/delete.html", context)
    outcome = activity_delete(provider=request.provider, activity=activity, today=_today())  # type: ignore[attr-defined]
    if not outcome.accepted:
        context["errors"] = [f"{e.code}: {e.message}" for e in outcome.errors]
        return render(request, "activities/delete.html", context, status=400)
    messages.success(request, f"Activity {activity.activity_id} ({activity.title}) was deleted.")
    return redirect("activities:list")
