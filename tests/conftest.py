"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings

from activities.models import PracticeArea, Specialty
from activities.reference_data import load_activity_reference_data
from emails.models import Email, EmailStatus
from emails.services import email_send
from learners.models import ActivityFormat, Board, CreditType
from learners.reference_data import load_reference_data
from portal.brokerconf import embedded_broker_url
from portal.models import Provider
from tests.factories import MembershipFactory, ProviderFactory
from tests.production import Stack, production_stack
from tests.worker import test_database_url, use_broker

IN_CI = os.environ.get("CI", "").lower() == "true"

# The suite serves static files from the source tree. Production serves the hashed copies that
# `collectstatic` writes (tests/production.py collects them for the tests of the real stack).
SOURCE_STATIC_FILES = {
    "STORAGES": {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    "WHITENOISE_USE_FINDERS": True,
    "WHITENOISE_AUTOREFRESH": True,
}


@pytest.fixture(scope="session", autouse=True)
def static_files_from_the_source_tree() -> Iterator[None]:
    with override_settings(**SOURCE_STATIC_FILES):
        yield


def test_process_index() -> int:
    """0, 1, … for the suite's parallel processes (pytest-xdist's gw0, gw1, …); 0 when alone."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def redis_url_of_this_process(url: str) -> str:
    """The configured Redis database for the first test process, the one below it for the next:
    a queue of one process's tests is never taken by another's worker."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database - test_process_index()) % 16}"))


@pytest.fixture(scope="session", autouse=True)
def a_broker_and_media_folder_of_its_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Each test process has its broker and its media folder (pytest-django gives it its own
    database), set in the environment too, for the workers its tests start.

    Without a configured broker: an embedded broker file of its own, since the checkout's
    (var/) belongs to `make run`, which may be running beside the suite. With Redis: a
    database of its own. Files: a folder of its own, where `make run`'s (var/media) would
    otherwise get the suite's uploads, and two processes' uploads the same names.
    """
    configured = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
    if configured.startswith(("redis://", "rediss://")):
        broker = redis_url_of_this_process(configured)
    elif configured:
        broker = configured
    else:
        broker = embedded_broker_url(tmp_path_factory.mktemp("broker"))
    media = tmp_path_factory.mktemp("media")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDIA_ROOT", str(media))
        with override_settings(CELERY_BROKER_URL=broker, MEDIA_ROOT=media), use_broker(broker):
            yield


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


@pytest.fixture(scope="session")
def web_stack(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The web service as docker compose runs it, on this test database (started once)."""
    with django_db_blocker.unblock():
        database_url = test_database_url()
    with production_stack(
        tmp_path_factory.mktemp("stack"),
        database_url=database_url,
        broker_url=settings.CELERY_BROKER_URL,
    ) as running:
        yield running


@pytest.fixture
def deliver_emails(mailoutbox: list[Any]) -> Callable[[], list[Any]]:
    """Send every queued email now, as the send task would; returns the mail outbox."""

    def deliver() -> list[Any]:
        queued = Email.objects.filter(status=EmailStatus.QUEUED).order_by("pk")
        for email_id in queued.values_list("pk", flat=True):
            email_send(email_id=email_id)
        return mailoutbox

    return deliver
