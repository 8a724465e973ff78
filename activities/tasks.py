"""Celery tasks: thin interfaces that call the activity services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from activities.services import activities_mark_ready_to_close


@shared_task(name="activities.mark_ready_to_close")
def mark_ready_to_close() -> int:
    """Daily: active activities whose end date has passed become Ready to Close."""
    return activities_mark_ready_to_close(today=timezone.localdate())
