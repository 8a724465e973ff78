"""Branded error pages: production never shows Django's technical pages, and a laptop run
(DEBUG on) answers a missing page with the same 404 page as production."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

TECHNICAL = ("Using the URLconf", "DEBUG = True", "Traceback", "Request Method:")


def assert_branded(response: Any, status: int, heading: str) -> str:
    assert response.status_code == status
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert "Learner Reporting System" in page  # the portal's header
    for marker in TECHNICAL:
        assert marker not in page
    return page


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_an_unknown_address_with_the_portal_404(
    staff_client: Client, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug

    page = assert_branded(staff_client.get("/no/such/page/"), 404, "Page not found")

    assert 'href="/uploads/history/"' in page  # a way back for a logged-in user


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_another_providers_upload_with_the_portal_404(
    outsider_client: Client, staff_client: Client, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug

    response = outsider_client.get(reverse("uploads:detail", args=[987654]))

    assert_branded(response, 404, "Page not found")


def test_it_shows_the_404_page_to_an_anonymous_visitor(client: Client, db: None) -> None:
    page = assert_branded(client.get("/no/such/page/"), 404, "Page not found")

    assert "Log out" not in page


def test_it_still_redirects_an_address_missing_its_slash(
    staff_client: Client, settings: Any
) -> None:
    settings.DEBUG = True

    response = staff_client.get("/uploads/history")

    assert response.status_code == 301 and response["Location"] == "/uploads/history/"


def test_it_leaves_the_web_services_their_own_404(client: Client, db: None, settings: Any) -> None:
    settings.DEBUG = True

    response = client.post("/services/ACCMEService.svc/IACCMEServiceREST/NoSuchMethod")

    assert response.status_code == 404
    assert "Page not found" not in response.content.decode()


def test_it_answers_a_failure_with_the_portal_500_page(db: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.portal.urls_with_failure"
    client = Client(raise_request_exception=False)

    page = assert_branded(client.get("/fail/"), 500, "Something went wrong")

    assert "a bug" not in page


def test_it_answers_an_expired_form_with_the_portal_page(staff_client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_client.user)  # type: ignore[attr-defined]

    response = client.post(reverse("logout"))

    assert_branded(response, 403, "Please try again")


def test_it_answers_a_bad_request_with_the_portal_400_page(db: None) -> None:
    client = Client(HTTP_HOST="not-an-allowed-host.example", raise_request_exception=False)

    assert_branded(client.get("/login/"), 400, "The request could not be read")


def test_it_answers_a_forbidden_page_with_the_portal_403_page(staff_client: Client) -> None:
    from django.contrib.auth.models import Permission

    user = staff_client.user  # type: ignore[attr-defined]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename="view_completionrecord"))

    response = staff_client.get(reverse("admin:uploads_upload_download", args=[1, "file"]))

    assert_branded(response, 403, "Not allowed")


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_it_answers_400_to_a_content_length_that_is_no_length(db: None, length: str) -> None:
    # Django's development server (make run) passes such a header on; reading the form was a 500.
    response = Client().post(
        reverse("login"), data="username=a&password=b",
        content_type="application/x-www-form-urlencoded", CONTENT_LENGTH=length,
    )  # fmt: skip

    assert response.status_code == 400
    assert "is not a number of bytes" in response.content.decode()
