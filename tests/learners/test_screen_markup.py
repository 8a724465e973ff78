"""What the learner and upload pages say to assistive technology: ids, labels, the skip link, the
current tab, statuses and credits shown once and whole."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.models import Board, RecordStatus
from portal.models import Provider
from tests.factories import ActivityFactory, CompletionRecordFactory, LearnerFactory
from uploads.models import Upload, UploadStatus

pytestmark = pytest.mark.django_db


class Ids(HTMLParser):
    """Every id on a page, and every label's `for`."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids[str(values["id"])] += 1
        if tag == "label" and values.get("for"):
            self.label_targets.append(str(values["for"]))


def parsed(page: str) -> Ids:
    parser = Ids()
    parser.feed(page)
    return parser


@pytest.fixture
def rems_activity(provider: Provider) -> Activity:
    return ActivityFactory(
        provider=provider,
        title="Opioid Analgesic REMS: Safe Prescribing",
        rems_registered=True,
        boards={"ABIM": "3"},
    )


@pytest.mark.parametrize(
    ("query", "field_id"),
    [("", "id_completion_date"), ("?program=rems", "id_rems_completion_date")],
)
def test_it_gives_every_field_of_the_entry_pages_its_own_id(
    staff_client: Client, rems_activity: Activity, query: str, field_id: str
) -> None:
    url = reverse("learners:manual_entry", args=[rems_activity.activity_id]) + query
    page = staff_client.get(url)

    found = parsed(page.content.decode())
    assert [name for name, n in found.ids.items() if n > 1] == []
    assert found.label_targets and all(found.ids[t] == 1 for t in found.label_targets)
    assert field_id in found.label_targets


def test_it_still_reads_a_posted_rems_entry_by_its_field_names(
    staff_client: Client, rems_activity: Activity
) -> None:
    day = date.today() - timedelta(days=1)
    response = staff_client.post(
        reverse("learners:manual_entry", args=[rems_activity.activity_id]),
        {"program": "rems", "completion_date": f"{day:%Y-%m-%d}", "learner_local_id": "L-1"},
    )

    assert response.status_code == 400  # profession and the rest are missing: 714
    assert "714" in response.content.decode()
    assert 'value="L-1"' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [reverse("home"), reverse("uploads:history"), reverse("learners:learner_search")],
)
def test_it_offers_a_skip_link_to_the_main_content(staff_client: Client, url: str) -> None:
    page = staff_client.get(url).content.decode()

    assert page.index('<a class="skip-link" href="#main">') < page.index("<header>")
    assert '<main id="main" tabindex="-1">' in page


def current_tabs(page: str) -> list[tuple[str, str]]:
    tabs = re.search(r'<nav aria-label="Batch upload" class="tabs">(.*?)</nav>', page, re.S)
    assert tabs is not None
    return re.findall(r'<a href="[^"]+" aria-current="(\w+)">([^<]+)</a>', tabs.group(1))


def test_it_marks_the_current_upload_tab(staff_client: Client, provider: Provider) -> None:
    upload = Upload.objects.create(
        provider=provider,
        user=staff_client.user,  # type: ignore[attr-defined]
        original_name="a.txt",
        size=1,
        sha256="a" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
    )

    new = staff_client.get(reverse("uploads:new")).content.decode()
    history = staff_client.get(reverse("uploads:history")).content.decode()
    detail = staff_client.get(reverse("uploads:detail", args=[upload.pk])).content.decode()

    assert current_tabs(new) == [("page", "Upload new file")]
    assert current_tabs(history) == [("page", "View upload history")]
    assert current_tabs(detail) == [("true", "Upload new file")]


def test_it_names_an_activitys_status_once(staff_client: Client, provider: Provider) -> None:
    ActivityFactory(provider=provider, title="Cardiology Symposium", status=Activity.Status.DRAFT)

    page = staff_client.get(reverse("learners:activity_summary")).content.decode()

    assert 'Cardiology Symposium <span class="badge">Draft</span>' in page
    assert "(Draft)" not in page and "(draft)" not in page


def test_it_shows_the_ama_credits_of_a_combined_record_in_learner_search(
    staff_client: Client, provider: Provider
) -> None:
    activity = ActivityFactory(provider=provider, boards={"ABIM": "10"})
    CompletionRecordFactory(
        activity=activity,
        learner=LearnerFactory(first_name="Ada", last_name="Both"),
        ama_credits=Decimal("2.00"),
        board=Board.objects.get(code="ABIM"),
        diplomate_id="123456",
        moc_points=Decimal("1.50"),
        moc_credits=[{"type": "Medical Knowledge", "points": "1.50"}],
        status=RecordStatus.SUBMITTED,
    )

    page = staff_client.get(reverse("learners:learner_search")).content.decode()

    credits = re.search(r'<td data-label="Points/Credits" class="num">(.*?)</td>', page, re.S)
    awarded = re.search(r'<td data-label="Credits Awarded">(.*?)</td>', page, re.S)
    assert credits is not None and awarded is not None
    assert re.findall(r"<li[^>]*>(.*?)</li>", credits.group(1)) == ["CME 2.00", "ABIM 1.50"]
    assert re.findall(r"<li>(.*?)</li>", awarded.group(1)) == [
        "AMA PRA Category 1 Credit",
        "Medical Knowledge 1.50",
    ]


def test_it_says_one_record_that_was_not_processed(
    staff_client: Client, provider: Provider
) -> None:
    upload = Upload.objects.create(
        provider=provider,
        user=staff_client.user,  # type: ignore[attr-defined]
        original_name="a.txt",
        size=1,
        sha256="a" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
        total_records=2,
        processed_records=1,
        rejected_records=1,
        report_file="reports/a.txt",
    )

    page = staff_client.get(reverse("uploads:detail", args=[upload.pk])).content.decode()

    assert "Download the 1 record that was not processed" in page
