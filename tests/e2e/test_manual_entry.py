"""Manual entry and Learner Match in Chromium: a rejected entry is told first, in view and focused;
a single Learner Match result leads to a pre-filled entry; values that can't match say why."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from learners.models import CompletionRecord, RecordSource
from tests.e2e.conftest import WIDTHS, assert_accessible, assert_fits, save_screenshot

pytestmark = pytest.mark.e2e

CME_ACTIVITY = "210015527"  # Primary Care Essentials: CME only, running now
# Jane ACCME, the physician of the PARS guide's sample (fictitious): Illinois licence, born 10/30.
JANE = {"First Name": "Jane", "Last Name": "ACCME", "Date of Birth (MM/DD)": "10/30"}


def open_entry(page: Any) -> None:
    page.goto(f"/activities/{CME_ACTIVITY}/")
    page.get_by_role("button", name="Enter learner manually").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter learner manually")


@pytest.mark.parametrize("width", WIDTHS)
def test_it_shows_a_rejected_entry_s_errors_first_focused_and_keeps_what_was_typed(
    login: Callable[..., Any], sandbox: date, width: int
) -> None:
    page = login()
    page.set_viewport_size({"width": width, "height": 800})
    open_entry(page)
    tomorrow = sandbox + timedelta(days=1)
    page.get_by_label("Completion Date").fill(f"{tomorrow:%Y-%m-%d}")
    page.get_by_label("Last Name").fill("ACCME")
    page.get_by_label("Date of Birth (MM/DD)").fill("10/30")
    page.get_by_label("Licensing State").select_option("IL")
    page.get_by_label("Licensing ID or NPI").fill("036999902")
    page.get_by_label("Number of CME Credits").fill("0.3")
    page.get_by_role("button", name="Add learner").click()

    summary = page.locator("#entry-errors")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("This learner record was not accepted: 3 problems")
    for code in ("622", "722", "750"):
        expect(summary).to_contain_text(code)
    first_name = page.get_by_label("First Name")
    expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(first_name).to_have_accessible_description(re.compile("622: First Name is missing"))
    expect(page.get_by_label("Number of CME Credits")).to_have_value("0.3")
    expect(page.get_by_label("Number of CME Credits")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Last Name")).to_have_value("ACCME")
    expect(page.get_by_label("Last Name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Licensing State")).to_have_value("IL")
    assert_fits(page, f"rejected entry at {width} px")
    assert_accessible(page, f"rejected entry at {width} px")
    if width == 1280:
        save_screenshot(page, "manual-entry-rejected-1280")
    # The summary's link takes the keyboard to the field at fault.
    summary.get_by_role("link", name=re.compile("622")).click()
    expect(first_name).to_be_focused()

    first_name.fill("Jane")
    page.get_by_label("Completion Date").fill(f"{sandbox - timedelta(days=5):%Y-%m-%d}")
    page.get_by_label("Number of CME Credits").fill("2.5")
    page.get_by_role("button", name="Add learner").click()

    stored = page.locator("#entry-stored")
    expect(stored).to_be_focused()
    record = CompletionRecord.objects.get(activity__activity_id=CME_ACTIVITY)
    assert record.source == RecordSource.MANUAL
    expect(stored).to_contain_text(f"Learner record {record.credit_id} was stored: Accepted.")
    expect(stored).to_contain_text("Jane ACCME, DOB 10/30")
    expect(page.get_by_role("heading", name="Add another learner")).to_be_visible()
    expect(page.get_by_label("First Name")).to_have_value("")
    assert_accessible(page, f"stored entry at {width} px")


def test_it_enters_a_learner_found_by_learner_match_with_the_form_filled_in(
    login: Callable[..., Any], sandbox: date
) -> None:
    page = login()
    page.goto(f"/activities/{CME_ACTIVITY}/")
    page.get_by_role("link", name="Check a learner with Learner Match").click()
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("ACCME")
    page.get_by_label("Birth month").select_option(label="October")
    page.get_by_label("Birth day").select_option("30")
    page.get_by_label("Licensing state").select_option("IL")
    page.get_by_label("Licensing ID").fill("036999902")
    page.get_by_role("button", name="Check match").click()

    expect(page.locator("#match-result")).to_contain_text("1 learner matched.")
    page.get_by_role("link", name="Enter a completion for this learner on Primary Care").click()

    for label, value in {**JANE, "Licensing ID or NPI": "036999902"}.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("Licensing State")).to_have_value("IL")
    page.get_by_label("Completion Date").fill(f"{sandbox - timedelta(days=2):%Y-%m-%d}")
    page.get_by_label("Number of CME Credits").fill("1")
    page.get_by_role("button", name="Add learner").click()

    expect(page.locator("#entry-stored")).to_contain_text("was stored: Accepted.")
    record = CompletionRecord.objects.get(activity__activity_id=CME_ACTIVITY)
    assert (record.learner.first_name, record.license_id) == ("Jane", "036999902")  # type: ignore[union-attr]


@pytest.mark.parametrize("width", WIDTHS)
def test_it_says_beside_the_field_why_a_malformed_npi_cannot_match(
    login: Callable[..., Any], width: int
) -> None:
    page = login()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/learners/match/")
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("ACCME")
    page.get_by_label("NPI").fill("12345")
    page.get_by_role("button", name="Check match").click()

    result = page.locator("#match-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("These details can't match a learner")
    expect(result).not_to_contain_text("matched")
    npi = page.get_by_label("NPI")
    expect(npi).to_have_attribute("aria-invalid", "true")
    expect(npi).to_have_accessible_description(re.compile("NPI '12345' is not a valid NPI"))
    expect(npi).to_have_value("12345")
    assert_fits(page, f"learner match refusal at {width} px")
    assert_accessible(page, f"learner match refusal at {width} px")
