"""The sandbox's demo logins on an install that is not a sandbox are reported by `migrate`."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Tags, run_checks
from django.core.management import call_command

from learners.sandbox import seed_sandbox
from portal.checks import DEMO_USERS
from portal.models import WebServiceAccount
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def demo_login_warnings() -> list[CheckMessage]:
    messages = run_checks(databases=["default"], tags=[Tags.database])
    return [message for message in messages if message.id == "portal.W001"]


def test_it_warns_of_demo_logins_off_a_sandbox(settings: Any) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    settings.SANDBOX = False

    (warning,) = demo_login_warnings()

    assert "admin@pars.local" in warning.msg
    assert "demo@aaa-test.org" in warning.msg
    assert "ws@aaa-test.org" in warning.msg


def test_it_warns_when_migrate_runs(settings: Any) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    settings.SANDBOX = False
    err = StringIO()

    call_command("migrate", verbosity=0, skip_checks=False, stdout=StringIO(), stderr=err)

    assert "portal.W001" in err.getvalue()


def test_it_says_nothing_on_a_sandbox(settings: Any) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    settings.SANDBOX = True

    assert demo_login_warnings() == []


def test_it_says_nothing_once_the_demo_logins_are_deactivated(settings: Any) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    settings.SANDBOX = False
    get_user_model().objects.filter(username__in=DEMO_USERS).update(is_active=False)
    WebServiceAccount.objects.update(is_active=False)

    assert demo_login_warnings() == []


def test_it_says_nothing_of_real_accounts(settings: Any) -> None:
    MembershipFactory()
    settings.SANDBOX = False

    assert demo_login_warnings() == []
