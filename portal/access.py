"""Who may see what: every provider-scoped page goes through these helpers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase

from portal.models import Membership, Provider


def provider_for_user(user: Any) -> Provider | None:
    """The provider a staff user belongs to, or None for users without a membership."""
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("provider").get(user=user).provider
    except Membership.DoesNotExist:
        return None


_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def provider_required(view: _View) -> _View:
    """Log-in required, and the user's provider set as `request.provider` (404 without one)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        provider = provider_for_user(request.user)
        if provider is None:
            raise Http404("This account does not belong to a provider.")
        request.provider = provider  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return cast(_View, wrapper)


def provider_context(request: HttpRequest) -> dict[str, Any]:
    """Templates show the logged-in user's provider in the header."""
    provider = getattr(request, "provider", None)
    if provider is None and hasattr(request, "user"):
        provider = provider_for_user(request.user)
    return {"current_provider": provider}
