"""Login, logout, the home page and provider scoping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.factories import ActivityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def visible_text(response: Any) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"<[^>]*>", " ", response.content.decode())


def test_it_shows_the_login_page() -> None:
    response = Client().get(reverse("login"))

    assert response.status_code == 200
    assert b'<label for="id_username">Email</label>' in response.content
    assert "username" not in visible_text(response).lower()


def test_it_sends_anonymous_users_to_the_login_page() -> None:
    response = Client().get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_logs_in_and_shows_the_providers_home(provider: Provider) -> None:
    user = UserFactory(username="staff@aaa.test", password="correct-horse-battery")
    MembershipFactory(user=user, provider=provider)
    client = Client()

    response = client.post(
        reverse("login"),
        {"username": "staff@aaa.test", "password": "correct-horse-battery"},
        follow=True,
    )

    assert response.status_code == 200
    assert b"AAA Test Organization" in response.content
    for label in (b"Activity Learner Summary", b"Learner Search", b"Batch Upload Learners"):
        assert label in response.content


def test_it_refuses_a_wrong_password_with_a_client_error(provider: Provider) -> None:
    UserFactory(username="staff@aaa.test", password="correct-horse-battery")

    response = Client().post(reverse("login"), {"username": "staff@aaa.test", "password": "nope"})

    assert response.status_code == 400
    assert b"Please enter a correct email and password" in response.content
    assert "username" not in visible_text(response).lower()


def test_it_throttles_repeated_login_failures(provider: Provider, settings: object) -> None:
    settings.THROTTLE_MAX_FAILURES = 3  # type: ignore[attr-defined]
    UserFactory(username="staff@aaa.test", password="correct-horse-battery")
    client = Client()
    for _ in range(3):
        client.post(reverse("login"), {"username": "staff@aaa.test", "password": "nope"})

    response = client.post(
        reverse("login"), {"username": "staff@aaa.test", "password": "correct-horse-battery"}
    )

    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


def test_it_logs_out_on_post(staff_client: Client) -> None:
    response = staff_client.post(reverse("logout"))

    assert response.status_code == 302
    assert staff_client.get(reverse("home")).status_code == 302


def test_it_answers_404_to_a_user_without_a_provider() -> None:
    client = Client()
    client.force_login(UserFactory())

    assert client.get(reverse("home")).status_code == 404


def test_it_refuses_post_on_the_home_page(staff_client: Client) -> None:
    assert staff_client.post(reverse("home")).status_code == 405


def test_it_hides_another_providers_activity(provider: Provider, outsider_client: Client) -> None:
    activity = ActivityFactory(provider=provider)
    url = reverse("learners:activity_detail", args=[activity.activity_id])

    assert outsider_client.get(url).status_code == 404


def test_it_shows_the_providers_own_activity(provider: Provider, staff_client: Client) -> None:
    activity = ActivityFactory(provider=provider, title="Cardiology Update")
    url = reverse("learners:activity_detail", args=[activity.activity_id])

    response = staff_client.get(url)

    assert response.status_code == 200
    assert b"Cardiology Update" in response.content


def test_it_lists_only_the_providers_own_activities(
    provider: Provider, other_provider: Provider, staff_client: Client
) -> None:
    ActivityFactory(provider=provider, title="Ours")
    ActivityFactory(provider=other_provider, title="Theirs")

    response = staff_client.get(reverse("learners:activity_summary"))

    assert b"Ours" in response.content
    assert b"Theirs" not in response.content
