"""The provider staff home page and login."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from activities.models import Activity
from learners.models import CompletionRecord
from portal.access import provider_required
from portal.forms import ThrottledAuthenticationForm
from uploads.models import Upload


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # A refused login is a client error, not a page that looks like success.
        response = super().form_invalid(form)
        throttled = any(e.code == "throttled" for e in form.non_field_errors().as_data())
        response.status_code = 429 if throttled else 400
        return response


@require_GET
@provider_required
def home(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    since = timezone.now() - timedelta(days=30)
    context = {
        "provider": provider,
        "activity_count": Activity.objects.for_provider(provider).count(),
        "record_count": CompletionRecord.objects.for_provider(provider).live().count(),
        "upload_count": Upload.objects.for_provider(provider)
        .visible()
        .filter(created_at__gte=since)
        .count(),
    }
    return render(request, "portal/home.html", context)
