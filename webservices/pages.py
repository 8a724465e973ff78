"""Provider staff's "Web services" pages: the request log, one call, its support ticket, and the
provider's web-service accounts. Every look-up is scoped to the user's provider (404 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import provider_required
from portal.environment import environment_name
from portal.models import WebServiceAccount
from webservices.accounts import (
    AccountError,
    webservice_account_create,
    webservice_account_rotate,
    webservice_account_set_active,
    webservice_accounts,
)
from webservices.calllog import RETENTION
from webservices.calls import error_messages, support_ticket_text, webservice_call_list
from webservices.forms import AccountForm, CallFilterForm
from webservices.models import WebServiceCall

PER_PAGE = 25


def _context(request: HttpRequest, tab: str, **values: Any) -> dict[str, Any]:
    return {"nav": "webservices", "tab": tab, "environment": environment_name(), **values}


@require_GET
@provider_required
def call_list(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = CallFilterForm(request.GET)
    if not form.is_valid():
        context = _context(request, "calls", form=form, page=None)
        return render(request, "webservices/calls.html", context, status=400)
    calls = webservice_call_list(provider=provider, filters=form.filters())
    page = Paginator(calls, PER_PAGE).get_page(request.GET.get("page"))
    page.page_links = list(  # type: ignore[attr-defined]
        page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    context = _context(
        request,
        "calls",
        form=form,
        page=page,
        filtered=any(form.cleaned_data.values()),
        retention_days=RETENTION.days,
    )
    return render(request, "webservices/calls.html", context)


def _get_call(request: HttpRequest, call_id: int) -> WebServiceCall:
    provider = request.provider  # type: ignore[attr-defined]
    return get_object_or_404(WebServiceCall.objects.for_provider(provider), pk=call_id)


@require_GET
@provider_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _get_call(request, call_id)
    context = _context(request, "calls", call=call, errors=error_messages(call))
    return render(request, "webservices/call_detail.html", context)


@require_GET
@provider_required
def call_ticket(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _get_call(request, call_id)
    response = HttpResponse(support_ticket_text(call), content_type="text/plain; charset=utf-8")
    name = f"pars-support-ticket-{call.method or 'call'}-{call.pk}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _accounts_page(
    request: HttpRequest, form: AccountForm, *, status: int = 200, **values: Any
) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    context = _context(
        request, "accounts", form=form, accounts=webservice_accounts(provider), **values
    )
    # A new password is shown on this answer only: never cached, never sent again.
    response = render(request, "webservices/accounts.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@provider_required
def account_list(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    if request.method == "GET":
        return _accounts_page(request, AccountForm())
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _accounts_page(request, form, status=400)
    try:
        account, password = webservice_account_create(
            provider=provider, username=form.cleaned_data["username"]
        )
    except AccountError as exc:
        form.add_error("username", str(exc))
        return _accounts_page(request, form, status=400)
    return _accounts_page(request, AccountForm(), shown=(account, password))


def _get_account(request: HttpRequest, account_id: int) -> WebServiceAccount:
    provider = request.provider  # type: ignore[attr-defined]
    return get_object_or_404(webservice_accounts(provider), pk=account_id)


@require_POST
@provider_required
def account_rotate(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    password = webservice_account_rotate(account=account)
    return _accounts_page(request, AccountForm(), shown=(account, password), rotated=True)


@require_POST
@provider_required
def account_active(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    active = request.POST.get("active") == "1"
    webservice_account_set_active(account=account, active=active)
    state = "active again" if active else "deactivated: its calls are refused from now on"
    messages.success(request, f"{account.username} is {state}.")
    return redirect("webservice_pages:accounts")
