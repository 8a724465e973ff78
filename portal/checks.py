"""System checks of an install's data against its settings (run by `migrate`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import connections

from learners.sandbox import ADMIN_LOGIN, PROVIDERS
from portal.models import WebServiceAccount

DEMO_USERS = (ADMIN_LOGIN[0], *(spec.staff_email for spec in PROVIDERS))
DEMO_WS_USERS = tuple(spec.ws_user for spec in PROVIDERS)


def active_demo_logins(alias: str) -> list[str]:
    """The sandbox's demo logins that can still log in on database `alias`."""
    tables = set(connections[alias].introspection.table_names())
    users, accounts = get_user_model().objects.using(alias), WebServiceAccount.objects.using(alias)
    found: list[str] = []
    if users.model._meta.db_table in tables:
        found += users.filter(username__in=DEMO_USERS, is_active=True).values_list(
            "username", flat=True
        )
    if accounts.model._meta.db_table in tables:
        found += accounts.filter(username__in=DEMO_WS_USERS, is_active=True).values_list(
            "username", flat=True
        )
    return sorted(found)


@register(Tags.database)
def check_no_demo_logins_off_a_sandbox(
    app_configs: Any, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A database seeded as a sandbox (say, by an older compose file) must not go on unnoticed."""
    if settings.SANDBOX or not databases:
        return []
    return [
        Warning(
            f"SANDBOX is off, but the sandbox's demo logins can log in: {', '.join(found)}. "
            "Their passwords are published in the README.",
            hint="Delete or deactivate them in the Django admin (Users, Web-service accounts), "
            "or set SANDBOX=true if this install is a sandbox.",
            id="portal.W001",
        )
        for found in (active_demo_logins(alias) for alias in databases)
        if found
    ]
