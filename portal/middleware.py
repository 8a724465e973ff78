"""Response headers every page gets, the 404 page every missing page gets, and the refusal of
a request whose Content-Length is no length."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.defaults import page_not_found

_LENGTH = re.compile(r"[0-9]{1,18}")  # not \d, which takes any digit, full-width ones too


def content_length_problem(request: HttpRequest) -> str | None:
    """What is wrong with the request's Content-Length header, or None (also when absent).

    Django reads the header with int() when a view reads the body: 'abc' or '-1' raised there, a
    500. gunicorn refuses such a request itself; Django's development server (`make run`) does not.
    """
    value = request.META.get("CONTENT_LENGTH")
    if not value or _LENGTH.fullmatch(value.strip()):
        return None
    shown = value[:20] if value.isprintable() else repr(value[:20])
    return f"The Content-Length header '{shown}' is not a number of bytes."


class ContentLengthMiddleware:
    """A page request with a Content-Length that is no length is answered 400. The web services
    answer it themselves (webservices/views.py), in their XML and in the request log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = content_length_problem(request)
        if problem and not request.path.startswith("/services/"):
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# Everything the portal serves comes from itself: no inline script or style, no framing, forms
# only posting back here. The Django admin works under it too (its scripts are files).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Sets Content-Security-Policy unless a view set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class BrandedNotFoundMiddleware:
    """A missing page gets the portal's own 404 page, with DEBUG on too.

    With DEBUG off Django renders templates/404.html itself. With DEBUG on (the default of a
    laptop run, which is where staff try the sandbox) it would show its technical page instead,
    listing every URL pattern: this answers with the same page production shows.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No resolver match: the address named no page (Resolver404, answered before any view).
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            return page_not_found(request, Http404(request.path))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
