"""The login throttle counts per account and address: one account's failures lock out no other."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuthThrottle, Provider
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.7"  # a CME office behind one NAT address
ELSEWHERE = "198.51.100.20"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def real_user(provider: Provider, settings: Any) -> str:
    settings.THROTTLE_MAX_FAILURES = 3
    user = UserFactory(username="staff@aaa.test", password=PASSWORD)
    MembershipFactory(user=user, provider=provider)
    return user.username


def log_in(email: str, password: str, address: str = OFFICE) -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post(reverse("login"), {"username": email, "password": password})


def test_it_lets_the_real_user_in_after_failures_against_a_made_up_account(
    real_user: str,
) -> None:
    for _ in range(10):
        assert log_in("made-up@aaa.test", "guess").status_code in (400, 429)

    assert log_in(real_user, PASSWORD).status_code == 302


def test_it_locks_an_account_out_from_the_address_that_failed_only(real_user: str) -> None:
    for _ in range(3):
        assert log_in(real_user, "typo").status_code == 400

    refused = log_in(real_user, PASSWORD)
    assert refused.status_code == 429
    assert b"Too many failed log-in attempts for this email" in refused.content
    assert log_in(real_user, PASSWORD, address=ELSEWHERE).status_code == 302


def test_it_counts_an_email_whatever_its_case(real_user: str) -> None:
    for email in ("Staff@AAA.test", "STAFF@aaa.test", " staff@aaa.test "):
        log_in(email, "typo")

    assert log_in(real_user, PASSWORD).status_code == 429


def test_it_forgets_an_accounts_failures_once_it_logs_in(real_user: str) -> None:
    for _ in range(2):
        log_in(real_user, "typo")
    assert log_in(real_user, PASSWORD).status_code == 302

    for _ in range(2):
        assert log_in(real_user, "typo").status_code == 400
    assert log_in(real_user, PASSWORD).status_code == 302


def test_it_stops_guessing_across_accounts_at_the_addresses_larger_budget(
    real_user: str, settings: Any
) -> None:
    settings.THROTTLE_MAX_FAILURES_PER_ADDRESS = 5
    for n in range(5):
        assert log_in(f"guess{n}@aaa.test", "guess").status_code == 400

    assert log_in("guess9@aaa.test", "guess").status_code == 429
    assert log_in(real_user, PASSWORD, address=ELSEWHERE).status_code == 302


def test_it_gives_back_the_place_of_a_successful_login(real_user: str) -> None:
    assert log_in(real_user, PASSWORD).status_code == 302

    rows = AuthThrottle.objects.filter(scope=AuthThrottle.Scope.LOGIN)
    assert sorted(rows.values_list("failures", "in_flight")) == [(0, 0), (0, 0)]


def test_it_refuses_get_and_post_alike_once_throttled_but_shows_the_form(real_user: str) -> None:
    for _ in range(3):
        log_in(real_user, "typo")

    page = Client(REMOTE_ADDR=OFFICE).get(reverse("login"))
    assert page.status_code == 200
    assert b'<label for="id_username">Email</label>' in page.content
