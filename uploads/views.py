"""Batch Upload Learners screens."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import provider_required
from uploads.models import Upload


@require_GET
@provider_required
def upload_new(request: HttpRequest) -> HttpResponse:
    return render(request, "uploads/new.html", {"nav": "uploads"})


@require_GET
@provider_required
def upload_history(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    since = timezone.now() - timedelta(days=30)
    uploads = Upload.objects.for_provider(provider).filter(created_at__gte=since)
    return render(request, "uploads/history.html", {"uploads": uploads, "nav": "uploads"})
