"""Celery tasks of the learner engine: thin entrances that call a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from learners.lifecycle import board_cycle_run


@shared_task(name="learners.board_cycle")
def board_cycle() -> dict[str, int]:
    """The nightly board cycle; safe to run again (a second run finds nothing to do)."""
    summary = board_cycle_run(today=timezone.localdate())
    return {
        "transmitted": summary.transmitted,
        "approved": summary.approved,
        "rejected": summary.rejected,
        "emails": summary.emails,
    }
