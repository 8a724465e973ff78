"""Throttling of repeated authentication failures, kept in the database so every process agrees."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from portal.models import AuthFailure


def is_throttled(*, scope: str, keys: list[str]) -> bool:
    """True when any key has reached the failure limit within the window."""
    since = timezone.now() - settings.THROTTLE_WINDOW
    for key in keys:
        failures = AuthFailure.objects.filter(scope=scope, key=key, created_at__gte=since).count()
        if failures >= settings.THROTTLE_MAX_FAILURES:
            return True
    return False


def record_failure(*, scope: str, keys: list[str]) -> None:
    AuthFailure.objects.bulk_create([AuthFailure(scope=scope, key=key[:200]) for key in keys])


def clear_failures(*, scope: str, keys: list[str]) -> None:
    AuthFailure.objects.filter(scope=scope, key__in=keys).delete()
