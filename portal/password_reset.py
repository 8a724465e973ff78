"""Forgot password: Django's password reset views, answering a refused form with a 400.

The reset email goes through the project's one mail configuration (EMAIL_* settings), like every
other email of the portal. The link is built from the address the request came in on.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

# GET shows the form, POST sends it (Django's form views take PUT too: not here).
FORM_METHODS = ["get", "post", "head", "options"]


class _FormPage:
    """Methods other than FORM_METHODS answer 405; a form sent back with its errors answers 400,
    never a 200 that looks like success."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Before the reset-link check, which answers any method with a page of its own.
        if (request.method or "").lower() not in FORM_METHODS:
            return self.http_method_not_allowed(request, *args, **kwargs)  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class PasswordResetView(_FormPage, auth_views.PasswordResetView):
    http_method_names = FORM_METHODS
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(_FormPage, auth_views.PasswordResetConfirmView):
    http_method_names = FORM_METHODS
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # How long the link works, as the token generator checks it.
        context["timeout_days"] = round(settings.PASSWORD_RESET_TIMEOUT / 86400)
        return context
