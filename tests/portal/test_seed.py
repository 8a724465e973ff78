"""The sandbox seed: enough synthetic data to demo and test every rule, and idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from activities.models import Activity
from learners.engine.npi import is_valid_npi
from learners.engine.states import STATES
from learners.models import Board, Learner, LearnerBoardId, LearnerLicense
from learners.reference_data import BOARDS
from learners.sandbox import seed_sandbox
from portal.models import Provider, WebServiceAccount

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


def test_its_command_prints_the_logins(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_sandbox")
    call_command("seed_sandbox")

    out = capsys.readouterr().out
    assert "demo@aaa-test.org / pars-demo" in out
    assert "ws@aaa-test.org / pars-ws-demo" in out
    assert "(0 added)" in out
