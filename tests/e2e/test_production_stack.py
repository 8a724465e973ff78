"""chromium against the production stack as `docker compose up` starts it, with no proxy in front.

gunicorn runs the web service's command with the compose file's environment (DEBUG off, HTTPS-only
cookies) and static files collected as the image collects them; the browser opens
http://localhost:<port>, as staff open http://localhost:8000.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProviderFactory
from tests.production import Stack, queued_upload
from uploads.models import Upload, UploadStatus

pytestmark = pytest.mark.e2e

EMAIL = "coordinator@lakeside.test"
PASSWORD = "a-long-test-password"


@pytest.fixture
def staff(transactional_db: None) -> Any:
    """A staff member whose password the server's hashers can check (quickly: few iterations)."""
    membership: Any = MembershipFactory(
        provider=ProviderFactory(name="Lakeside CME"), user__username=EMAIL, user__email=EMAIL
    )
    user = membership.user
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1_000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def page(browser: Any, web_stack: Stack) -> Iterator[Any]:
    context = browser.new_context(base_url=web_stack.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.static_statuses = []
    page.console_errors = []
    page.on(
        "response",
        lambda r: page.static_statuses.append((r.url, r.status)) if "/static/" in r.url else None,
    )
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def log_in(page: Any) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_it_logs_in_over_plain_http_on_localhost_with_https_only_cookies(
    page: Any, staff: Any
) -> None:
    log_in(page)

    expect(page.locator("main")).to_contain_text("Lakeside CME")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]
    assert page.console_errors == []


def test_it_styles_the_pages_and_runs_htmx(page: Any, staff: Any) -> None:
    log_in(page)

    sheets = page.evaluate("[...document.styleSheets].map(s => s.cssRules.length)")
    assert len(sheets) >= 2 and all(rules > 0 for rules in sheets)
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.static_statuses, "the page loaded no static file"
    assert all(status == 200 for _, status in page.static_statuses), page.static_statuses
    assert page.console_errors == []


def test_it_follows_an_upload_live_on_the_processing_page(page: Any, staff: Any) -> None:
    upload = queued_upload(staff)
    log_in(page)
    page.goto(f"/uploads/{upload.pk}/")
    status = page.locator("#upload-status")
    expect(status).to_have_attribute("data-status", "queued")

    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.COMPLETED,
        total_records=3,
        processed_records=3,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    expect(status).to_have_attribute("data-status", "completed")
    expect(status).to_contain_text("LEARNERS.TXT")
    assert page.console_errors == []
