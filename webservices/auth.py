"""Web-service credentials: User, Password and ProviderId against the provider's account."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from learners.engine.sql import equals, slotted_rows
from portal.models import AuthThrottle, Provider, WebServiceAccount
from portal.throttle import attempt_begin, attempt_failed, attempt_succeeded

SCOPE = AuthThrottle.Scope.WEBSERVICE

# A PBKDF2 check costs tens of milliseconds of CPU by design, and an LMS sends the same
# credentials with every call. A successful check is remembered in this process for a minute,
# keyed by the user, a SHA-256 of the password sent and the stored hash: the account row is still
# read on every call, so deactivating it or changing its password takes effect at once, and the
# plain password is never kept.
VERIFIED_TTL = 60.0
_MAX_ENTRIES = 1024
_verified: dict[tuple[str, str, str], float] = {}
_lock = threading.Lock()


class AccessDenied(Exception):
    """PARS code 451: the credentials don't name an active account of that provider."""


class Throttled(Exception):
    """Too many recent failures for this user name or address."""


def _remembered(key: tuple[str, str, str]) -> bool:
    with _lock:
        expiry = _verified.get(key)
        if expiry is None:
            return False
        if expiry < time.monotonic():
            del _verified[key]
            return False
        return True


def _remember(key: tuple[str, str, str]) -> None:
    with _lock:
        if len(_verified) >= _MAX_ENTRIES:
            _verified.clear()
        _verified[key] = time.monotonic() + VERIFIED_TTL


def forget_verified() -> None:
    """Drop every remembered check (tests, and after bulk credential changes)."""
    with _lock:
        _verified.clear()


def _provider_matches(provider: Provider, provider_id: str | None) -> bool:
    """ProviderId as sent ('0001234', or '1234' by clients that treat it as a number)."""
    if provider_id is None:
        return True
    cleaned = provider_id.strip()
    return cleaned.isdigit() and cleaned.zfill(7) == provider.accme_id


_ACCOUNT_FIELDS = tuple(f.attname for f in WebServiceAccount._meta.concrete_fields)
_PROVIDER_FIELDS = tuple(f.attname for f in Provider._meta.concrete_fields)


def _account_query(values: Mapping[str, Any]) -> QuerySet:
    return (
        WebServiceAccount.objects.filter(equals("username", values["username"]), is_active=True)
        .order_by()
        .values_list(*_ACCOUNT_FIELDS, *(f"provider__{name}" for name in _PROVIDER_FIELDS))[:1]
    )


def _active_account(username: str) -> WebServiceAccount | None:
    """The active account with that user name, and its provider: one query, compiled once.

    Every call reads the row (a deactivated account or a new password counts at once); only the
    building of the query is saved, which costs as much as running it.
    """
    rows = slotted_rows("webservice-account", _account_query, {"username": username})
    for values in rows:
        split = len(_ACCOUNT_FIELDS)
        account = WebServiceAccount.from_db(connection.alias, _ACCOUNT_FIELDS, values[:split])
        account.provider = Provider.from_db(connection.alias, _PROVIDER_FIELDS, values[split:])
        return account
    return None


def throttle_keys(username: str, client_ip: str) -> list[str]:
    return [f"user:{username.strip().casefold()[:150]}", f"ip:{client_ip}"]


def account_authenticate(
    *, username: str, password: str, provider_id: str | None, client_ip: str
) -> WebServiceAccount:
    """The active account these credentials name; AccessDenied or Throttled otherwise.

    `provider_id` None means the method has no ProviderId (Learner Match): the account decides.
    """
    account = _active_account(username.strip())
    key = None
    if account is not None and _provider_matches(account.provider, provider_id):
        key = (account.username, hashlib.sha256(password.encode()).hexdigest(), account.password)
        # A remembered check proves the caller sent the exact password verified moments ago, so
        # it skips the throttle look-up; every check that could confirm a guess passes through it.
        if _remembered(key):
            return account
    keys = throttle_keys(username, client_ip)
    if not attempt_begin(scope=SCOPE, limits=dict.fromkeys(keys, settings.THROTTLE_MAX_FAILURES)):
        raise Throttled
    if key is None or account is None or not account.check_password(password):
        attempt_failed(scope=SCOPE, keys=keys)
        raise AccessDenied
    _remember(key)
    # Only on a full check (at most once a minute per client), so a busy client adds no UPDATE.
    attempt_succeeded(scope=SCOPE, keys=keys, forget=keys)
    return account
