"""Web-service credentials: User, Password and ProviderId against the provider's account.

User and Password come in the envelope, as PARS's guide shows, or by HTTP Basic Auth (as many
HTTP clients and automation tools send them); when both are given they must agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from learners.engine.sql import equals, slotted_rows
from portal.models import AuthThrottle, Provider, WebServiceAccount
from portal.throttle import attempt_begin, attempt_failed, attempt_succeeded
from webservices.models import TrustedAddress

SCOPE = AuthThrottle.Scope.WEBSERVICE
# An address that verified an account's password stays trusted this long after its last check.
TRUST_FOR = timedelta(days=30)

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

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class NoCredentials(AccessDenied):
    """Neither the envelope nor an Authorization header carries a User and Password."""


class Throttled(Exception):
    """Too many recent failures for this user name or address."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    source: str  # "envelope", "basic" or "both"


def _scheme_and_value(authorization: str) -> tuple[str, str]:
    """The scheme and what follows it, split at any whitespace (a tab is as good as a space):
    split at a space alone, 'Basic<TAB><credentials>' read as one scheme name, which the
    refusal then quoted, credentials and all."""
    parts = authorization.split(None, 1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (parts[0] if parts else "", "")


# Schemes named back in a refusal and the log. Anything else may be the credentials themselves
# (a header of bare base64), so it is named by neither.
KNOWN_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm", "token", "apikey"})


def shown_scheme(authorization: str) -> str:
    """The header's scheme if it is a known one, else ''."""
    scheme = _scheme_and_value(authorization)[0]
    return scheme if scheme.lower() in KNOWN_SCHEMES else ""


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header; None when there is none."""
    scheme, encoded = _scheme_and_value(authorization)
    if not scheme:
        return None
    if scheme.lower() != "basic":
        shown = shown_scheme(authorization) or "another scheme"
        raise AccessDenied(f"the Authorization header must use HTTP Basic, not {shown}.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AccessDenied(
            "the Authorization header is not valid HTTP Basic credentials."
        ) from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise AccessDenied("the HTTP Basic credentials must be user:password.")
    return user, password


def credentials_resolve(*, user: str, password: str, authorization: str) -> Credentials:
    """The User and Password to check: the envelope's, Basic Auth's, or both when they agree.

    An empty envelope element counts as missing. NoCredentials when neither place has both.
    """
    basic = basic_credentials(authorization)
    if basic is None:
        if not user and not password:
            raise NoCredentials(
                "no User and Password: send them in the envelope or by HTTP Basic Auth."
            )
        return Credentials(user, password, "envelope")
    basic_user, basic_password = basic
    if (user and user.strip() != basic_user.strip()) or (password and password != basic_password):
        raise AccessDenied(
            "the User and Password in the envelope and in the HTTP Basic Auth header disagree; "
            "send them once, or the same in both."
        )
    source = "both" if user or password else "basic"
    return Credentials(basic_user, basic_password, source)


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
    return provider_id is None or names_provider(provider_id, provider)


def names_provider(provider_id: str, provider: Provider) -> bool:
    """Whether a ProviderId as sent names the provider: '0001234', or '1234' and '00001234' by
    clients that treat it as a number (ASCII digits only)."""
    cleaned = provider_id.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 20:
        return False
    return int(cleaned) == int(provider.accme_id)


_ACCOUNT_FIELDS = tuple(f.attname for f in WebServiceAccount._meta.concrete_fields)
_PROVIDER_FIELDS = tuple(f.attname for f in Provider._meta.concrete_fields)


def _account_query(values: Mapping[str, Any]) -> QuerySet:
    return (
        WebServiceAccount.objects.alias(name_key=Upper("username"))
        .filter(equals("name_key", values["name_key"]), is_active=True)
        .order_by()
        .values_list(*_ACCOUNT_FIELDS, *(f"provider__{name}" for name in _PROVIDER_FIELDS))[:1]
    )


def _active_account(username: str) -> WebServiceAccount | None:
    """The active account with that user name, and its provider: one query, compiled once.

    Every call reads the row (a deactivated account or a new password counts at once); only the
    building of the query is saved, which costs as much as running it.
    """
    # A user name is an email address, read in any case (the constraint holds it once so).
    rows = slotted_rows("webservice-account", _account_query, {"name_key": username.upper()})
    for values in rows:
        split = len(_ACCOUNT_FIELDS)
        account = WebServiceAccount.from_db(connection.alias, _ACCOUNT_FIELDS, values[:split])
        account.provider = Provider.from_db(connection.alias, _PROVIDER_FIELDS, values[split:])
        return account
    return None


def throttle_keys(username: str, client_ip: str, *, trusted: bool = False) -> list[str]:
    """The account's budget (guesses from anywhere) and the address's; an address trusted for
    the account (see TrustedAddress) spends only its own."""
    account_key = [] if trusted else [f"user:{username.strip().casefold()[:150]}"]
    return [*account_key, address_key(client_ip)]


def _trusted(account: WebServiceAccount | None, client_ip: str) -> bool:
    if account is None or not client_ip:
        return False
    since = timezone.now() - TRUST_FOR
    return TrustedAddress.objects.filter(
        account=account, address=client_ip, verified_at__gte=since
    ).exists()


def _trust(account: WebServiceAccount, client_ip: str) -> None:
    if not client_ip:
        return
    TrustedAddress.objects.bulk_create(
        [TrustedAddress(account=account, address=client_ip[:45], verified_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["account", "address"],
        update_fields=["verified_at"],
    )


def trusted_addresses_purge(*, now: datetime | None = None) -> int:
    """Forget the addresses not verified for TRUST_FOR; returns how many."""
    since = (now or timezone.now()) - TRUST_FOR
    deleted, _ = TrustedAddress.objects.filter(verified_at__lt=since).delete()
    return deleted


def address_key(client_ip: str) -> str:
    return f"ip:{client_ip}"


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
    keys = throttle_keys(username, client_ip, trusted=_trusted(account, client_ip))
    if not attempt_begin(scope=SCOPE, limits=dict.fromkeys(keys, settings.THROTTLE_MAX_FAILURES)):
        raise Throttled
    if key is None or account is None or not account.check_password(password):
        attempt_failed(scope=SCOPE, keys=keys)
        raise AccessDenied
    _remember(key)
    _trust(account, client_ip)
    # Only on a full check (at most once a minute per client), so a busy client adds no UPDATE.
    # The caller's address proved itself; the account's failures, which may come from anywhere,
    # stay until their window passes: a client's success must not wipe an attacker's count.
    attempt_succeeded(scope=SCOPE, keys=keys, forget=[address_key(client_ip)])
    return account
