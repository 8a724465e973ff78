"""Throttling of failed authentications, counted in the database so every process agrees.

An attempt first takes a place in the budget of each of its keys (`attempt_begin`), in one
conditional UPDATE per key, and only then is the password checked; the place becomes a failure
(`attempt_failed`) or is given back (`attempt_succeeded`). So however many requests arrive at
once, no more passwords are checked than failures are left: the limit holds under concurrency.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from portal.models import AuthThrottle

# When the budget is held by checks still running (not by failures), wait for them to settle
# rather than refuse: a burst of right passwords must not read as an attack.
CONGESTION_WAIT_SECONDS = 3.0
CONGESTION_POLL_SECONDS = 0.02
MAX_KEY_LENGTH = 300
COUNT = IntegerField()


class _Spent(Exception):
    """A key has no place left; the transaction that counted the other keys is rolled back."""


def attempt_begin(*, scope: str, limits: Mapping[str, int]) -> bool:
    """Take a place for one attempt in every key's budget; False when a key's failures are spent."""
    keys = {key[:MAX_KEY_LENGTH]: limit for key, limit in limits.items()}
    _ensure_rows(scope, keys)
    deadline = time.monotonic() + CONGESTION_WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                # Always the same order, so two attempts never wait on each other's rows crosswise.
                for key in sorted(keys):
                    if not _take(scope, key, keys[key], now):
                        raise _Spent(key)
        except _Spent as spent:
            if _failures_spent(scope, str(spent), keys[str(spent)], now):
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(CONGESTION_POLL_SECONDS)
            continue
        return True


def attempt_failed(*, scope: str, keys: Iterable[str]) -> None:
    """The attempt's password was wrong: its place becomes a failure."""
    _settle(scope, keys, failures=F("failures") + 1)


def attempt_succeeded(*, scope: str, keys: Iterable[str], forget: Iterable[str] = ()) -> None:
    """The attempt passed: give its place back, and forget the past failures of `forget`."""
    forgotten = {key[:MAX_KEY_LENGTH] for key in forget}
    for key in sorted({key[:MAX_KEY_LENGTH] for key in keys} | forgotten):
        if key in forgotten:
            _settle(scope, [key], failures=Value(0))
        else:
            _settle(scope, [key])


def throttle_purge(*, now: datetime | None = None) -> int:
    """Delete the rows of windows that have ended; returns how many."""
    since = (now or timezone.now()) - settings.THROTTLE_WINDOW
    deleted, _ = AuthThrottle.objects.filter(window_start__lt=since).delete()
    return deleted


def _ensure_rows(scope: str, keys: Mapping[str, int]) -> None:
    now = timezone.now()
    AuthThrottle.objects.bulk_create(
        [AuthThrottle(scope=scope, key=key, window_start=now) for key in sorted(keys)],
        ignore_conflicts=True,
    )


def _take(scope: str, key: str, limit: int, now: datetime) -> bool:
    """One conditional UPDATE: a place when the window has ended or failures + in flight < limit.

    PostgreSQL re-checks the condition on the row as the previous writer left it, and SQLite
    runs one writer at a time, so the count is exact whatever the concurrency.
    """
    ended = Q(window_start__lt=now - settings.THROTTLE_WINDOW)
    room = Q(in_flight__lt=ExpressionWrapper(limit - F("failures"), output_field=COUNT))
    return (
        AuthThrottle.objects.filter(ended | room, scope=scope, key=key).update(
            window_start=Case(When(ended, then=Value(now)), default=F("window_start")),
            failures=Case(When(ended, then=0), default=F("failures"), output_field=COUNT),
            in_flight=Case(When(ended, then=1), default=F("in_flight") + 1, output_field=COUNT),
        )
        == 1
    )


def _failures_spent(scope: str, key: str, limit: int, now: datetime) -> bool:
    """True when the key is refused for its failures (not merely for checks still running)."""
    since = now - settings.THROTTLE_WINDOW
    return AuthThrottle.objects.filter(
        scope=scope, key=key, window_start__gte=since, failures__gte=limit
    ).exists()


def _settle(scope: str, keys: Iterable[str], **changes: object) -> None:
    # One row per statement, in key order (as `_take` locks them): no crosswise waits.
    for key in sorted(key[:MAX_KEY_LENGTH] for key in keys):
        AuthThrottle.objects.filter(scope=scope, key=key).update(
            in_flight=Greatest(F("in_flight") - 1, 0, output_field=COUNT), **changes
        )
