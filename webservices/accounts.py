"""A provider's web-service accounts, managed by its own staff: create, rotate, (de)activate.

Passwords are generated here, stored hashed, and returned once to be shown once: nothing keeps
the plain password afterwards.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from portal.models import Provider, WebServiceAccount

PASSWORD_BYTES = 18  # 24 URL-safe characters


class AccountError(Exception):
    """The account can't be created as asked; the message says why."""


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def webservice_accounts(provider: Provider) -> QuerySet[WebServiceAccount]:
    return WebServiceAccount.objects.filter(provider=provider).order_by("-is_active", "username")


def webservice_account_create(
    *, provider: Provider, username: str
) -> tuple[WebServiceAccount, str]:
    """A new active account with a generated password; returns it and the password."""
    username = username.strip()
    if WebServiceAccount.objects.filter(username__iexact=username).exists():
        raise AccountError(f"The user name {username} is taken: choose another.")
    password = new_password()
    account = WebServiceAccount(provider=provider, username=username)
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:  # a simultaneous request took the name first
        raise AccountError(f"The user name {username} is taken: choose another.") from None
    return account, password


def webservice_account_rotate(*, account: WebServiceAccount) -> str:
    """Replace the password; the old one stops working on the next call."""
    password = new_password()
    account.set_password(password)
    account.save(update_fields=["password"])
    return password


def webservice_account_set_active(*, account: WebServiceAccount, active: bool) -> None:
    account.is_active = active
    account.save(update_fields=["is_active"])
