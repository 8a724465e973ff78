"""The sandbox seed: enough synthetic data to demo and test every rule, and idempotent."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from activities.models import Activity
from learners.engine.npi import is_valid_npi
from learners.engine.states import STATES
from learners.models import Board, Learner, LearnerBoardId, LearnerLicense
from learners.reference_data import BOARDS
from learners.sandbox import seed_sandbox
from portal.models import Provider, WebServiceAccount
from tests.production import production_environment
from tests.stack_files import ROOT, settings_from

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


def _counts() -> tuple[int, ...]:
    return (
        Learner.objects.count(),
        LearnerLicense.objects.count(),
        LearnerBoardId.objects.count(),
        Provider.objects.count(),
        Activity.objects.count(),
        WebServiceAccount.objects.count(),
    )


def test_it_is_idempotent() -> None:
    seed_sandbox(today=TODAY)
    first = _counts()
    seed_sandbox(today=TODAY)

    assert _counts() == first


def test_it_seeds_a_directory_covering_every_board_and_state() -> None:
    seed_sandbox(today=TODAY)

    assert Learner.objects.count() >= 400
    boards = set(LearnerBoardId.objects.values_list("board__code", flat=True))
    assert boards == set(BOARDS)
    assert set(LearnerLicense.objects.values_list("state", flat=True)) == set(STATES)
    assert all(is_valid_npi(npi) for npi in Learner.objects.values_list("npi", flat=True))


def test_it_seeds_physicians_sharing_a_name_and_birthday() -> None:
    seed_sandbox(today=TODAY)

    identities = Counter(
        Learner.objects.values_list("first_name_key", "last_name_key", "birth_month", "birth_day")
    )
    assert any(count > 1 for count in identities.values())


def test_it_seeds_activities_of_every_kind() -> None:
    seed_sandbox(today=TODAY)
    activities = Activity.objects.filter(provider__accme_id="0001234")

    assert Activity.objects.count() >= 12
    assert activities.filter(status=Activity.Status.DRAFT).exists()
    assert activities.filter(status=Activity.Status.CLOSED).exists()
    assert activities.filter(rems_registered=True).exists()
    assert activities.filter(reporting_year__lte=2024).exists(), "one whose window has closed"
    registered = set(activities.values_list("moc_registrations__board__code", flat=True))
    assert set(Board.objects.values_list("code", flat=True)) <= registered
    assert len(set(activities.values_list("format", flat=True))) >= 8
    assert len(set(activities.values_list("reporting_year", flat=True))) >= 3


def test_it_seeds_the_demo_logins() -> None:
    seed_sandbox(today=TODAY)

    assert authenticate(username="demo@aaa-test.org", password="pars-demo")
    assert authenticate(username="demo@wrmc.org", password="pars-demo")
    account = WebServiceAccount.objects.get(username="ws@aaa-test.org")
    assert account.provider.accme_id == "0001234"
    assert account.check_password("pars-ws-demo")
    assert Provider.objects.get(accme_id="0001234").participates_in_rems
    assert not Provider.objects.get(accme_id="0005678").participates_in_rems


def test_its_command_prints_the_logins(capsys: pytest.CaptureFixture[str], settings: Any) -> None:
    settings.DEBUG = True  # as `make run` runs it

    call_command("seed_sandbox")
    call_command("seed_sandbox")

    out = capsys.readouterr().out
    assert "demo@aaa-test.org / pars-demo" in out
    assert "ws@aaa-test.org / pars-ws-demo" in out
    assert "(0 added)" in out


def test_its_command_refuses_when_debug_is_off(settings: Any) -> None:
    settings.DEBUG, settings.SANDBOX = False, True

    with pytest.raises(CommandError, match=r"DEBUG is off.*--i-know"):
        call_command("seed_sandbox")

    assert not Learner.objects.exists()
    assert not get_user_model().objects.exists()


def test_its_command_seeds_with_debug_off_when_told_it_is_known(settings: Any) -> None:
    settings.DEBUG, settings.SANDBOX = False, True

    call_command("seed_sandbox", "--i-know", stdout=StringIO())

    assert authenticate(username="admin@pars.local", password="pars-admin")
    assert Learner.objects.count() >= 400


@pytest.mark.parametrize("flags", [[], ["--i-know"]])
def test_its_command_refuses_on_an_install_that_is_not_a_sandbox(
    settings: Any, flags: list[str]
) -> None:
    settings.DEBUG, settings.SANDBOX = True, False

    with pytest.raises(CommandError, match="SANDBOX is off"):
        call_command("seed_sandbox", *flags)

    assert not Learner.objects.exists()
    assert not get_user_model().objects.exists()


def test_its_command_seeds_nothing_and_succeeds_off_a_sandbox_when_asked_to(
    settings: Any,
) -> None:
    settings.DEBUG, settings.SANDBOX = False, False
    out = StringIO()

    call_command("seed_sandbox", "--if-sandbox", "--i-know", stdout=out)

    assert out.getvalue() == "SANDBOX is off: no demo data seeded.\n"
    assert not Learner.objects.exists()
    assert not Provider.objects.exists()
    assert not get_user_model().objects.exists()


def sandbox_setting(**environment: str) -> bool:
    values = settings_from({"CELERY_BROKER_URL": "memory://", **environment})
    return bool(values["SANDBOX"])


def test_it_is_a_sandbox_exactly_when_debug_is_on_unless_told() -> None:
    production = {"DEBUG": "false", "SECRET_KEY": "x" * 50}

    assert sandbox_setting(DEBUG="true") is True
    assert sandbox_setting() is True  # `make run`: DEBUG is on by default
    assert sandbox_setting(**production) is False
    assert sandbox_setting(**production, SANDBOX="") is False
    assert sandbox_setting(**production, SANDBOX="true") is True
    assert sandbox_setting(DEBUG="true", SANDBOX="false") is False


def test_its_command_exits_non_zero_with_the_reason_in_production(tmp_path: Path) -> None:
    # An empty database: whatever happens, nothing real is touched.
    env = production_environment(
        SANDBOX="true", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "seed_sandbox"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "DEBUG is off, so this looks like production" in result.stderr
    assert "--i-know" in result.stderr
