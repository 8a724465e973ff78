"""Fixing rejected rows in the browser, end to end: the grid, its keys, the correcting upload
processed by a real worker, the rows still wrong with their new codes, and the chain in history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from learners.engine.rows import BOARD_COLUMNS
from learners.models import CompletionRecord
from tests.e2e.conftest import UploadWorker, assert_accessible, assert_fits
from tests.e2e.test_upload_flow import (
    BAD_ROWS,
    ROWS,
    choose_and_upload,
    learner_files,
    summary_numbers,
    wait_until_done,
)
from uploads.models import Upload

pytestmark = pytest.mark.e2e
FIXED, WRONG, UNTOUCHED = range(0, 6), range(6, 8), range(8, 10)
IMPOSSIBLE_DATE = "02/30/2025"


def cell(page: Any, key: str, field: str) -> Any:
    return page.locator(f'input[name="cell.{key}.{field}"]')


def data_rows(page: Any) -> Any:
    return page.locator("#fix-grid tbody tr[data-key]")


def test_it_fixes_rejected_rows_in_the_browser_and_keeps_the_ones_still_wrong(
    login: Callable[..., Any], upload_worker: UploadWorker, sandbox: date
) -> None:
    data, fixed = learner_files(sandbox)
    assert len(fixed) == BAD_ROWS == 10
    page = login()
    upload_worker.restart()
    choose_and_upload(page, "november_learners.txt", data)
    wait_until_done(page)
    assert summary_numbers(page) == (str(ROWS), str(ROWS - BAD_ROWS), str(BAD_ROWS))
    first = Upload.objects.latest("pk")
    page.get_by_role("button", name="Fix 10 rows in the browser").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Fix Rejected Rows")
    expect(data_rows(page)).to_have_count(BAD_ROWS)
    # Report row n of the first upload is the n-th rejected row of the file.
    keys = [f"{first.pk}-{n}" for n in range(1, BAD_ROWS + 1)]
    expect(page.locator("#fix-grid td.at-fault input[aria-invalid='true']").first).to_be_visible()
    expect(page.locator("#fix-changed")).to_have_text(re.compile("No row changed yet"))

    # The keys of a spreadsheet: down keeps the column, Escape puts a cell back as it was.
    top = data_rows(page).nth(0).locator("input").nth(2)
    top.click()
    page.keyboard.press("ArrowDown")
    expect(data_rows(page).nth(1).locator("input").nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(top).to_be_focused()
    page.keyboard.press("Tab")
    expect(data_rows(page).nth(0).locator("input").nth(3)).to_be_focused()
    original = top.input_value()
    top.fill("typed by mistake")
    top.press("Escape")
    expect(top).to_have_value(original)

    for i in FIXED:  # six rows corrected to their defect-free values
        for (name, _), value in zip(BOARD_COLUMNS, fixed[i].values(BOARD_COLUMNS), strict=True):
            box = cell(page, keys[i], name)
            if box.input_value() != value:
                box.fill(value)
    for i in WRONG:  # two rows changed, but still wrong
        cell(page, keys[i], "completion_date").fill(IMPOSSIBLE_DATE)
    expect(page.locator("#fix-changed")).to_have_text("8 rows changed: they will be sent.")
    expect(page.locator("#fix-grid tr.changed")).to_have_count(8)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        assert_fits(page, f"fix rows at {width} px")
        assert_accessible(page, f"fix rows at {width} px")
        box = page.locator(".grid-box")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the grid scrolls in its box
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Send the corrected rows").click()

    expect(page).to_have_url(re.compile(r"/uploads/\d+/$"))
    wait_until_done(page)
    correction = Upload.objects.latest("pk")
    assert correction.corrects == first
    assert set(correction.corrected_rows) == {keys[i] for i in (*FIXED, *WRONG)}
    assert summary_numbers(page) == ("8", "6", "2")
    expect(page.locator("#corrects")).to_contain_text("correcting november_learners.txt")
    assert CompletionRecord.objects.count() == ROWS - BAD_ROWS + len(FIXED)

    page.get_by_role("button", name="Fix 4 rows in the browser").click()

    expect(data_rows(page)).to_have_count(4)
    for i in UNTOUCHED:  # the rows left as they were, with their first codes
        expect(cell(page, keys[i], "record_action")).to_be_attached()
    resent = page.locator("#fix-grid tr.row-errors", has_text="sent again in")
    expect(resent).to_have_count(2)
    for n in range(2):
        expect(resent.nth(n)).to_contain_text(f"671: Completion Date '{IMPOSSIBLE_DATE}'")
    for n in (1, 2):
        date_box = cell(page, f"{correction.pk}-{n}", "completion_date")
        expect(date_box).to_have_value(IMPOSSIBLE_DATE)
        expect(date_box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#chain-heading")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "november_learners-corrections-1.txt: 8 rows sent, completed: 6 processed, 2 not processed."
    )

    page.get_by_role("link", name="View upload history").click()
    rows = page.locator("main table tbody tr")
    expect(rows.nth(0)).to_contain_text("Corrects november_learners.txt")
    expect(rows.nth(1)).to_contain_text("Corrected by november_learners-corrections-1.txt")
    rows.nth(1).get_by_role("link", name="november_learners-corrections-1.txt").click()
    expect(page).to_have_url(re.compile(rf"/uploads/{correction.pk}/$"))
