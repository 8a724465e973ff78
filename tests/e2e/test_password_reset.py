"""Forgot password, walked as staff would: the login page's link, the email, a new password."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_EMAIL, assert_accessible, assert_fits

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "Grand-Rounds-Reporting-2026"


def test_it_resets_a_forgotten_password_from_the_login_page(page: Any, sandbox: date) -> None:
    mail.outbox.clear()
    page.goto("/login/")
    page.get_by_role("link", name="Forgot password?").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    expect(page.get_by_label("Email")).to_be_focused()
    assert_accessible(page, "reset form")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_role("button", name="Send the reset link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    [message] = mail.outbox
    assert message.to == [DEMO_EMAIL]
    link = re.search(r"http://[^\s]+/password-reset/[^\s]+/", str(message.body))
    assert link is not None
    page.goto(link.group(0))

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_fits(page, "new password form")
    assert_accessible(page, "new password form")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill("not the same")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("match")
    expect(page.get_by_role("alert")).to_be_focused()
    assert_accessible(page, "new password form with errors")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")
    page.get_by_role("button", name="Log in").click()  # a link styled as a button
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learner Reporting System")
    # The link worked once.
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("This link can't be used")
