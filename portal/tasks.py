"""Housekeeping tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task

from portal.throttle import throttle_purge


@shared_task(name="portal.purge_auth_failures")
def purge_auth_failures() -> int:
    """Forget throttling counts of windows that have ended; returns how many."""
    return throttle_purge()
