"""The sandbox page: test learners to download and the board cycle to run now.

Only on a sandbox install (settings.SANDBOX): elsewhere every page here is a 404, so production
never hands out its learner directory.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from learners.exports import CONTENT_TYPES, export_bytes
from learners.lifecycle import board_cycle_run_for_provider, board_cycle_waiting
from portal.access import provider_required
from portal.environment import is_sandbox
from sandbox.testlearners import HEADER, physician_rows


def sandbox_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_sandbox():
            raise Http404("This is not a sandbox install.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@provider_required
@sandbox_only
def sandbox_home(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    context = {"nav": "sandbox", "waiting": board_cycle_waiting(provider=provider)}
    return render(request, "sandbox/home.html", context)


@require_GET
@provider_required
@sandbox_only
def test_learners(request: HttpRequest, fmt: str) -> HttpResponse:
    body = export_bytes(fmt, HEADER, physician_rows(), title="Test learners")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="pars-sandbox-test-learners.{fmt}"'
    return response


@require_POST
@provider_required
@sandbox_only
def board_cycle(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    summary = board_cycle_run_for_provider(provider=provider, today=timezone.localdate())
    messages.success(
        request,
        f"Board cycle run for {provider.accme_id}: {summary.transmitted} transmitted, "
        f"{summary.approved} approved, {summary.rejected} rejected"
        + (f" ({summary.emails} rejection email sent)." if summary.emails else "."),
    )
    return redirect("sandbox:home")
