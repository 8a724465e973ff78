"""Fixtures shared by every test package."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from activities.models import PracticeArea, Specialty
from activities.reference_data import load_activity_reference_data
from learners.models import ActivityFormat, Board, CreditType
from learners.reference_data import load_reference_data
from portal.models import Provider
from tests.factories import MembershipFactory, ProviderFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    """Hashing at full strength is the slowest thing a test can do; MD5 is still a hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")


@pytest.fixture(autouse=True)
def reference_data(request: pytest.FixtureRequest) -> None:
    """Boards, credit types, formats, specialties and practice areas: loaded by migration,
    reloaded after a flushing test."""
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in DB_FIXTURES
    )
    if not uses_db:
        return
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        if not Board.objects.exists():
            load_reference_data(Board, CreditType, ActivityFormat)
        if not Specialty.objects.exists():
            load_activity_reference_data(Specialty, PracticeArea, Board)


@pytest.fixture
def provider(db: None) -> Provider:
    return ProviderFactory(
        accme_id="0001234", name="AAA Test Organization", participates_in_rems=True
    )


@pytest.fixture
def other_provider(db: None) -> Provider:
    return ProviderFactory(accme_id="0005678", name="Western Regional Medical Center")


@pytest.fixture
def staff_client(provider: Provider) -> Client:
    """A logged-in member of `provider`; the user is on `client.user`."""
    membership = MembershipFactory(provider=provider)
    client = Client()
    client.force_login(membership.user)
    client.user = membership.user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def outsider_client(other_provider: Provider) -> Client:
    """A logged-in member of another provider: must get 404 on `provider`'s objects."""
    membership = MembershipFactory(provider=other_provider)
    client = Client()
    client.force_login(membership.user)
    client.user = membership.user  # type: ignore[attr-defined]
    return client
