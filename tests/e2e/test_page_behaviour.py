"""What staff meet on the pages: the skip link, the upload form's errors, the live history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import Provider
from tests.e2e.conftest import DEMO_EMAIL, WIDTHS, assert_accessible, assert_fits
from uploads.models import Upload, UploadStatus

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", WIDTHS)
def test_it_shows_the_skip_link_when_it_has_the_focus(
    login: Callable[..., Any], width: int
) -> None:
    page = login()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/learners/search/")

    skip = page.get_by_role("link", name="Skip to content")
    hidden = skip.bounding_box()
    page.keyboard.press("Tab")

    expect(skip).to_be_focused()
    shown = skip.bounding_box()
    assert hidden is not None and hidden["y"] + hidden["height"] <= 0  # off-screen until then
    assert shown is not None and shown["y"] >= 0 and shown["height"] > 20 and shown["width"] > 60
    assert shown["x"] + shown["width"] <= width
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the page's content, past the menu
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("width", WIDTHS)
def test_it_lists_every_problem_of_the_upload_form_and_keeps_the_choices(
    login: Callable[..., Any], width: int
) -> None:
    Provider.objects.filter(accme_id="0001234").update(participates_in_rems=False)
    page = login()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/uploads/")
    page.get_by_label("Extensible Markup Language .xml").check()
    page.locator("#id_file").set_input_files(
        {"name": "May_Learners.txt", "mimeType": "text/plain", "buffer": b"Add\t210015516\n"}
    )
    # A REMS choice the page does not offer this provider, as a stale tab or a script would send.
    page.evaluate(
        "() => { const r = document.querySelector('input[name=program][value=rems]');"
        " r.disabled = false; r.checked = true; }"
    )
    page.get_by_role("button", name="Upload file", exact=True).click()

    summary = page.locator("#upload-error")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    items = summary.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("DOES NOT TAKE PART IN THE OPIOID ANALGESIC REMS")
    expect(items.nth(1)).to_contain_text("THE FILE SELECTED IS NOT A .XML FILE")
    expect(summary).to_contain_text("Choose the file again in step 3")
    expect(page.get_by_label("Extensible Markup Language .xml")).to_be_checked()
    expect(page.locator("#id_file")).to_have_attribute("aria-invalid", "true")
    assert_fits(page, f"upload errors at {width} px")
    assert_accessible(page, f"upload errors at {width} px")
    # The summary's link takes the keyboard to the field at fault.
    items.nth(1).get_by_role("link").click()
    assert page.evaluate("location.hash") == "#id_file"
    assert Upload.objects.count() == 0


def test_it_refreshes_the_row_of_a_running_upload_in_the_history(
    login: Callable[..., Any], sandbox: date
) -> None:
    running = Upload.objects.create(
        provider=Provider.objects.get(accme_id="0001234"),
        user=get_user_model().objects.get(username=DEMO_EMAIL),
        original_name="still_running.txt",
        size=100,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.PROCESSING,
        total_records=10,
        progress_records=4,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    page = login()
    page.goto("/uploads/history/")
    row = page.locator(f"#upload-{running.pk}")
    expect(row).to_contain_text("4 of 10 checked")
    page.evaluate("window.notReloaded = true")

    Upload.objects.filter(pk=running.pk).update(progress_records=7)
    expect(row).to_contain_text("7 of 10 checked", timeout=15_000)
    Upload.objects.filter(pk=running.pk).update(
        status=UploadStatus.COMPLETED, processed_records=9, rejected_records=1, progress_records=10
    )

    expect(row).to_have_attribute("data-status", "completed", timeout=15_000)
    expect(row.locator('td[data-label="Processed"]')).to_contain_text("9")
    expect(row).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert page.evaluate("window.notReloaded") is True  # the row, not the page, was refreshed


def test_it_answers_learner_match_on_an_accessible_page(
    login: Callable[..., Any], sandbox: date
) -> None:
    page = login()
    page.goto("/learners/match/")
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("ACCME")
    page.get_by_label("Birth month").select_option(label="October")
    page.get_by_label("Birth day").select_option("30")
    page.get_by_role("button", name="Check match").click()

    expect(page.locator("#match-result")).to_contain_text("1 learner matched.")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert_fits(page, f"learner match result at {width} px")
        assert_accessible(page, f"learner match result at {width} px")
