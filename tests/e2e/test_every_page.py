"""Every staff page at 1280 px and 375 px: nothing scrolls sideways, no table is cut off, and
axe-core finds no serious or critical accessibility violation. Screenshots of the main screens
are taken on the way (for the README's user guide). The Activities tab's pages are among them,
with an activity upload, and the register form sent back with its errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from activities.files import activity_rows_txt, sample_activities
from activities.models import Activity
from learners.filegen import encode_learner_file, generate_learner_rows
from learners.models import Board, CompletionRecord, RecordStatus
from portal.models import Provider
from tests.e2e.conftest import (
    DEMO_EMAIL,
    WIDTHS,
    assert_accessible,
    assert_fits,
    save_screenshot,
)
from tests.factories import CompletionRecordFactory, LearnerFactory
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process
from uploads.services import IncomingFile, upload_create

pytestmark = pytest.mark.e2e

LONG_FILE_NAME = "november_learners_cardiology_department_grand_rounds_2026_corrected.txt"
LONG_TITLE = (
    "Interdisciplinary Perioperative Cardiothoracic Anesthesiology and Critical Care "
    "Grand Rounds: Evidence-Based Practice Update"
)


@dataclass(frozen=True)
class Screens:
    completed: Upload
    pending: Upload
    running: Upload
    activity: Activity
    record: CompletionRecord
    activities: Upload


def _create_upload(
    provider: Provider, user: Any, name: str, data: bytes, kind: str = "learners"
) -> Upload:
    incoming = IncomingFile.from_bytes(name, data)
    return upload_create(
        provider=provider, user=user, file_type="txt", program="board", mode="submit",
        incoming=incoming, kind=kind,
    ).upload  # fmt: skip


@pytest.fixture
def screens(sandbox: date, monkeypatch: pytest.MonkeyPatch) -> Screens:
    """Data in every state a page can show: a processed file with rejected rows, a possible
    duplicate waiting for an answer, a file processing, and a record with long names."""
    # The fixture processes the file itself, as a worker would: no task goes to the broker.
    monkeypatch.setattr("uploads.dispatch.upload_send_to_worker", lambda *, upload_id: True)
    provider = Provider.objects.get(accme_id="0001234")
    user = get_user_model().objects.get(username=DEMO_EMAIL)
    rows = generate_learner_rows(
        provider=provider, rows=40, error_rate=0.25, seed=11, today=sandbox
    )
    data = encode_learner_file(
        rows, file_type="txt", program="board", provider=provider, today=sandbox
    )
    completed = _create_upload(provider, user, LONG_FILE_NAME, data)
    upload_process(upload_id=completed.pk)
    completed.refresh_from_db()
    assert completed.status == UploadStatus.COMPLETED and completed.has_report
    pending = _create_upload(provider, user, LONG_FILE_NAME, data)
    assert pending.status == UploadStatus.PENDING

    activity = Activity.objects.get(activity_id="210015516")
    Activity.objects.filter(pk=activity.pk).update(title=LONG_TITLE)
    record = CompletionRecordFactory(
        provider=provider,
        activity=activity,
        learner=LearnerFactory(
            first_name="Maximilianus-Konstantinos",
            last_name="Featherstonehaugh-Wolfeschlegelsteinhausen",
        ),
        credit_id="ccid:aaatestorganization.org:continuing-education-credit-000000001",
        completion_date=sandbox - timedelta(days=3),
        ama_credits=Decimal("2.00"),
        board=Board.objects.get(code="ABIM"),
        diplomate_id="123456789012",
        moc_points=Decimal("1.50"),
        moc_credits=[
            {"type": "Medical Knowledge", "points": "1.00"},
            {"type": "Patient Safety", "points": "0.50"},
        ],
        status=RecordStatus.REJECTED,
        board_codes=[{"code": "664", "message": "Birth date does not match the diplomate's."}],
    )
    # An activity file with a row the rules refuse (no title: 203).
    good, untitled = sample_activities(sandbox)
    untitled = dataclasses.replace(untitled, title="")
    activities = _create_upload(
        provider, user, "activities_of_the_year.txt", activity_rows_txt([good, untitled]),
        kind="activities",
    )  # fmt: skip
    upload_process(upload_id=activities.pk)
    activities.refresh_from_db()
    assert (activities.processed_records, activities.rejected_records) == (1, 1)
    running = Upload.objects.create(
        provider=provider,
        user=user,
        original_name="december_learners_still_processing.txt",
        size=100,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.PROCESSING,
        total_records=2500,
        progress_records=1200,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return Screens(completed, pending, running, activity, record, activities)


def staff_pages(s: Screens) -> list[tuple[str, str]]:
    detail = reverse("learners:activity_detail", args=[s.activity.activity_id])
    return [
        ("home", reverse("home")),
        ("activity-summary", reverse("learners:activity_summary")),
        ("activity", detail),
        ("activity-rems", reverse("learners:activity_detail", args=["210015525"])),
        ("activity-draft", reverse("learners:activity_detail", args=["210015528"])),
        (
            "record-delete",
            reverse("learners:record_delete", args=[s.activity.activity_id, s.record.pk]),
        ),
        ("learner-search", reverse("learners:learner_search")),
        ("learner-search-empty", reverse("learners:learner_search") + "?last_name=Nobody"),
        ("learner-match", reverse("learners:learner_match")),
        ("manual-entry", reverse("learners:manual_entry", args=[s.activity.activity_id])),
        (
            "manual-entry-rems",
            reverse("learners:manual_entry", args=["210015525"]) + "?program=rems",
        ),
        (
            "manual-entry-choose",
            reverse("learners:manual_entry_choose") + "?first_name=Jane&last_name=ACCME",
        ),
        ("upload-new", reverse("uploads:new")),
        ("upload-completed", reverse("uploads:detail", args=[s.completed.pk])),
        ("upload-fix", reverse("uploads:fix", args=[s.completed.pk])),
        ("upload-duplicate", reverse("uploads:detail", args=[s.pending.pk])),
        ("upload-processing", reverse("uploads:detail", args=[s.running.pk])),
        ("upload-history", reverse("uploads:history")),
        ("upload-history-filtered", reverse("uploads:history") + "?status=failed"),
        ("technical-information", reverse("technical_information")),
        ("not-found", "/uploads/999999/"),
        *activity_pages(s),
    ]


def activity_pages(s: Screens) -> list[tuple[str, str]]:
    """The Activities tab: the list, an activity of every status, its forms, and activity uploads."""
    long_title = s.activity.activity_id  # titled LONG_TITLE, registered for ABIM

    def of(name: str, activity_id: str) -> str:
        return reverse(f"activities:{name}", args=[activity_id])

    return [
        ("activities", reverse("activities:list")),
        ("activities-filtered", reverse("activities:list") + "?status=draft"),
        ("activities-none", reverse("activities:list") + "?q=Nothing+of+the+kind"),
        ("activity-registration", of("detail", long_title)),
        ("activity-registration-draft", of("detail", "210015528")),
        ("activity-registration-closed", of("detail", "210015529")),
        ("activity-registration-boards", of("detail", "210015526")),
        ("activity-register", reverse("activities:new")),
        ("activity-edit", of("edit", long_title)),
        ("activity-close", of("edit", long_title) + "?status=closed"),
        ("activity-moc", of("moc", "210015526") + "?board=ABS"),
        ("activity-delete", of("delete", "210015527")),
        ("activity-moc-remove", reverse("activities:moc_remove", args=["210015526", "ABS"])),
        ("activity-rems-confirm", of("rems", "210015526") + "?rems=yes"),
        ("upload-new-activities", reverse("uploads:new") + "?kind=activities"),
        ("upload-activities-completed", reverse("uploads:detail", args=[s.activities.pk])),
    ]


PUBLIC_PAGES = [
    ("login", "/login/"),
    ("password-reset", "/password-reset/"),
    ("password-reset-sent", "/password-reset/sent/"),
    ("technical-information-public", "/technical/"),
]
# The main screens, shown in the README's user guide.
SCREENSHOT_PAGES = {
    1280: {
        "home",
        "activity-summary",
        "activity",
        "learner-search",
        "upload-new",
        "upload-completed",
        "upload-fix",
        "upload-history",
        "technical-information",
        "activities",
        "activity-registration",
    },
    375: {"learner-search", "upload-history", "activity", "activities", "upload-fix"},
}


@pytest.mark.parametrize("width", WIDTHS)
def test_it_fits_every_staff_page_to_the_window_and_keeps_it_accessible(
    login: Callable[..., Any], screens: Screens, csp_violations: list[str], width: int
) -> None:
    page = login()
    page.set_viewport_size({"width": width, "height": 800})

    for name, path in staff_pages(screens):
        response = page.goto(path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), name
        page.wait_for_load_state("load")
        assert_fits(page, f"{name} at {width} px")
        assert_accessible(page, f"{name} at {width} px")
        if name in SCREENSHOT_PAGES[width]:
            if width < 768 or name == "upload-fix":  # the rows, not only the filters
                page.evaluate(
                    "(document.querySelector('main .grid-box')"
                    " || document.querySelector('main figure'))?.scrollIntoView()"
                )
            save_screenshot(page, f"{name}-{width}")

    # The register form sent back with its errors: each beside its field, the first focused.
    page.goto(reverse("activities:new"))
    page.get_by_role("button", name="Register activity").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_fits(page, f"activity-register-errors at {width} px")
    assert_accessible(page, f"activity-register-errors at {width} px")

    assert csp_violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_it_fits_the_public_pages_to_the_window_and_keeps_them_accessible(
    page: Any, sandbox: date, csp_violations: list[str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})

    for name, path in PUBLIC_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, name
        assert_fits(page, f"{name} at {width} px")
        assert_accessible(page, f"{name} at {width} px")
        if width == 1280 and name == "login":
            save_screenshot(page, "login-1280")

    assert csp_violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_it_shows_the_columns_that_matter_whole(
    login: Callable[..., Any], screens: Screens, width: int
) -> None:
    """Learner Search's Status and Credits Awarded, the history's "Not processed" with its
    .csv, the activity page's "Delete": in view and not cut, at both widths."""
    page = login()
    page.set_viewport_size({"width": width, "height": 800})

    def whole(locator: Any) -> None:
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        assert box is not None and box["width"] > 0
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box)
        assert locator.evaluate("el => el.scrollWidth <= el.clientWidth + 1")

    page.goto(reverse("learners:learner_search") + "?last_name=Featherstonehaugh")
    row = page.locator("main table tbody tr").first
    whole(row.locator('td[data-label="Status"]'))
    expect(row.locator('td[data-label="Status"]')).to_contain_text("Rejected", ignore_case=True)
    whole(row.locator('td[data-label="Credits Awarded"]'))
    expect(row.locator('td[data-label="Credits Awarded"]')).to_contain_text(
        "AMA PRA Category 1 Credit"
    )

    page.goto(reverse("uploads:history"))
    completed = page.locator(f"#upload-{screens.completed.pk}")
    whole(completed.locator('td[data-label="Not processed"]'))
    whole(completed.get_by_role("link", name="as CSV"))

    page.goto(reverse("learners:activity_detail", args=[screens.activity.activity_id]))
    delete = page.get_by_role("link", name=f"Delete learner record {screens.record.credit_id}")
    whole(delete)
    expect(delete).to_have_text("Delete")
