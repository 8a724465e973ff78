"""Web-service credentials: User, Password and ProviderId against the provider's account."""

from __future__ import annotations

import hashlib
import threading
import time

from portal.models import AuthFailure, Provider, WebServiceAccount
from portal.throttle import clear_failures, is_throttled, record_failure

SCOPE = AuthFailure.Scope.WEBSERVICE

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


def throttle_keys(username: str, client_ip: str) -> list[str]:
    return [f"user:{username.strip().casefold()[:150]}", f"ip:{client_ip}"]


def account_authenticate(
    *, username: str, password: str, provider_id: str | None, client_ip: str
) -> WebServiceAccount:
    """The active account these credentials name; AccessDenied or Throttled otherwise.

    `provider_id` None means the method has no ProviderId (Learner Match): the account decides.
    """
    account = (
        WebServiceAccount.objects.select_related("provider")
        .filter(username=username.strip(), is_active=True)
        .first()
    )
    key = None
    if account is not None and _provider_matches(account.provider, provider_id):
        key = (account.username, hashlib.sha256(password.encode()).hexdigest(), account.password)
        # A remembered check proves the caller sent the exact password verified moments ago, so
        # it skips the throttle look-up; every check that could confirm a guess passes through it.
        if _remembered(key):
            return account
    keys = throttle_keys(username, client_ip)
    if is_throttled(scope=SCOPE, keys=keys):
        raise Throttled
    if key is None or account is None or not account.check_password(password):
        record_failure(scope=SCOPE, keys=keys)
        raise AccessDenied
    _remember(key)
    # Only on a full check (at most once a minute per client), so a busy client adds no DELETE.
    clear_failures(scope=SCOPE, keys=keys)
    return account
