"""The integrator's pages in a browser: create credentials, call, read the log, download a ticket,
and the sandbox's test learners, at desktop and phone widths without sideways scrolling."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.webservices.notes import (
    LEARNER_MATCH_REQUEST,
    SAVE_LEARNER,
    logged_calls,
    notes_request,
)

pytestmark = pytest.mark.e2e

AMC_STAFF = "demo@amc-test.org"
LMS_USER = "lms@amc-test.org"
WIDTHS = (1280, 375)


@pytest.fixture(autouse=True)
def sandbox_install(settings: Any) -> None:
    settings.SANDBOX = True


def no_sideways_scroll(page: Any) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def call(page: Any, path: str, body: bytes, password: str) -> str:
    token = base64.b64encode(f"{LMS_USER}:{password}".encode()).decode()
    response = page.request.post(
        path,
        data=body,
        headers={
            "Content-Type": "application/xml; charset=utf-8",
            "Authorization": f"Basic {token}",
        },
    )
    return str(response.text())


def test_it_walks_an_integrators_day_in_the_browser(
    login: Callable[..., Any], tmp_path: Path
) -> None:
    page = login(AMC_STAFF)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Web services").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request log")
    no_sideways_scroll(page)

    # 1. Credentials, shown once.
    page.get_by_role("link", name="Web-service accounts").click()
    page.get_by_label("User name (an email address)").fill(LMS_USER)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("shown this once")
    password = page.locator("#new-password").inner_text()
    no_sideways_scroll(page)

    # 2. Test learners.
    nav.get_by_role("link", name="Sandbox").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download test learners (.csv)").click()
    target = tmp_path / "learners.csv"
    download.value.save_as(target)
    assert "Holloway" in target.read_text(encoding="utf-8-sig")
    no_sideways_scroll(page)

    # 3. The notes' Learner Match, and their learner before the course exists (Rejected, 690).
    match = notes_request("learner_match_request.xml", user=LMS_USER, password=password)
    assert "<MatchedLearnerCount>1</MatchedLearnerCount>" in call(
        page, LEARNER_MATCH_REQUEST, match, password
    )
    save = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    assert "<Code>690</Code>" in call(page, SAVE_LEARNER, save, password)
    assert len(logged_calls(2)) == 2

    # 4. The log, newest first; one call opened; its support ticket downloaded.
    nav.get_by_role("link", name="Web services").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("SaveLearnerActivity")
    expect(rows.first).to_contain_text("690")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SaveLearnerActivity")
    expect(page.locator("main")).not_to_contain_text(password)
    no_sideways_scroll(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download for a support ticket").click()
    ticket = tmp_path / "ticket.txt"
    download.value.save_as(ticket)
    text = ticket.read_text(encoding="utf-8")
    assert "Environment: Sandbox" in text and re.search(
        r"API endpoint URL: http://\S+/services/", text
    )
    assert "690" in text and password not in text


def test_it_filters_the_log_and_says_what_is_wrong(login: Callable[..., Any]) -> None:
    page = login(AMC_STAFF)
    page.goto("/web-services/")
    page.get_by_text("Filter the calls").click()
    page.get_by_label("Error code").fill("71")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("main")).to_contain_text("An error code is 3 digits")
    no_sideways_scroll(page)
