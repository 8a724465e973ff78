"""Log in with the demo account and walk the main navigation, as provider staff do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_EMAIL

pytestmark = pytest.mark.e2e


def test_it_logs_in_with_the_demo_account_and_shows_the_provider(
    login: Callable[..., Any],
) -> None:
    page = login()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learner Reporting System")
    expect(page.locator("main")).to_contain_text("AAA Test Organization")
    expect(page.locator("main")).to_contain_text("0001234")
    expect(page.locator("header")).to_contain_text("Demo User")


@pytest.mark.parametrize(
    ("link", "path", "heading"),
    [
        ("Activities", "/activity/", "Activities"),
        ("Activity Learner Summary", "/activities/", "Learner Summary"),
        ("Learner Search", "/learners/search/", "Learner Search"),
        ("Batch Upload Learners", "/uploads/", "Upload"),
    ],
)
def test_it_opens_each_navigation_link(
    login: Callable[..., Any], link: str, path: str, heading: str
) -> None:
    page = login()

    nav = page.get_by_role("navigation", name="Main")
    response_statuses: list[int] = []
    page.on(
        "response", lambda r: response_statuses.append(r.status) if r.url.endswith(path) else None
    )
    nav.get_by_role("link", name=link).click()

    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(nav.get_by_role("link", name=link)).to_have_attribute("aria-current", "page")
    assert response_statuses and all(status == 200 for status in response_statuses)


def test_it_shows_the_error_of_a_failed_login(login: Callable[..., Any]) -> None:
    page = login(password="not-the-password")

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("alert")).to_contain_text("correct")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(1)
    expect(page.get_by_label("Email")).to_have_value(DEMO_EMAIL)


def test_it_sends_an_anonymous_visitor_to_the_login_page(page: Any) -> None:
    page.goto("/uploads/")

    expect(page).to_have_url(re.compile(r"/login/\?next=/uploads/$"))


def test_it_focuses_the_login_form_and_shows_the_focus(page: Any) -> None:
    page.goto("/login/")

    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    page.keyboard.press("Tab")
    password = page.get_by_label("Password")
    expect(password).to_be_focused()
    # A visible focus indicator: an outline or a box-shadow ring on the focused field.
    ring = password.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,"
        " shadow: s.boxShadow !== 'none'}; }"
    )
    assert ring["outline"] or ring["shadow"], ring
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Log in")).to_be_focused()
