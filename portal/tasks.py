"""Housekeeping tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from portal.models import AuthFailure


@shared_task(name="portal.purge_auth_failures")
def purge_auth_failures() -> int:
    """Forget authentication failures older than the throttling window; returns how many."""
    cutoff = timezone.now() - settings.THROTTLE_WINDOW
    deleted, _ = AuthFailure.objects.filter(created_at__lt=cutoff).delete()
    return deleted
