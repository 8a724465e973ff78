"""Activity Learner Summary: filters, paging, exports, one activity's learners, delete, navigation."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import deque
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve, reverse

from activities.models import Activity
from learners.models import Board, CompletionRecord, RecordStatus
from portal.models import Provider
from tests.factories import ActivityFactory, CompletionRecordFactory, LearnerFactory

pytestmark = pytest.mark.django_db

SUMMARY = reverse("learners:activity_summary")


@pytest.fixture(autouse=True)
def today(time_machine: object) -> date:
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    time_machine.move_to(noon, tick=False)  # type: ignore[attr-defined]
    return noon.date()


@pytest.fixture
def activities(provider: Provider, other_provider: Provider) -> dict[str, Activity]:
    """Four kinds of activity for `provider` (ABIM, ABP, CME only, REMS) and one of another's."""
    return {
        "imu": ActivityFactory(
            provider=provider,
            title="Internal Medicine Update",
            provider_activity_id="IMU-1",
            start_date=date(2026, 2, 1),
            boards={"ABIM": "10"},
        ),
        "peds": ActivityFactory(
            provider=provider,
            title="Pediatric Quality Improvement",
            provider_activity_id="PEDS-1",
            start_date=date(2025, 3, 1),
            boards={"ABP": "25"},
        ),
        "cme": ActivityFactory(
            provider=provider,
            title="Primary Care Essentials",
            provider_activity_id="PC-1",
            start_date=date(2026, 4, 1),
        ),
        "rems": ActivityFactory(
            provider=provider,
            title="Opioid Analgesic REMS: Safe Prescribing",
            provider_activity_id="REMS-1",
            start_date=date(2026, 5, 1),
            rems_registered=True,
        ),
        "theirs": ActivityFactory(
            provider=other_provider,
            title="Internal Medicine Grand Rounds",
            provider_activity_id="IMU-1",
            start_date=date(2026, 2, 1),
            boards={"ABIM": "10"},
        ),
    }


def _listed(response: object) -> list[str]:
    return [a.activity_id for a in response.context["page"]]  # type: ignore[attr-defined]


def _ids(*activities: Activity) -> set[str]:
    return {a.activity_id for a in activities}


def test_it_lists_only_the_providers_activities(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    response = staff_client.get(SUMMARY)

    assert response.status_code == 200
    assert set(_listed(response)) == _ids(*(a for k, a in activities.items() if k != "theirs"))
    assert b"Showing 1 - 4 of 4 Activities" in response.content
    assert b"Internal Medicine Grand Rounds" not in response.content


def test_it_counts_learners_by_status(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    imu = activities["imu"]
    for status in (
        RecordStatus.SUBMITTED,
        RecordStatus.SUBMITTED,
        RecordStatus.APPROVED,
        RecordStatus.REJECTED,
        RecordStatus.DELETED,
    ):
        CompletionRecordFactory(activity=imu, status=status)

    response = staff_client.get(SUMMARY)

    row = next(a for a in response.context["page"] if a.activity_id == imu.activity_id)
    assert (row.n_live, row.n_submitted, row.n_approved, row.n_rejected, row.n_deleted) == (
        4,
        2,
        1,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"title": "internal med"}, ["imu"]),
        ({"title": "e"}, ["imu", "peds", "cme", "rems"]),
        ({"provider_activity_id": "PEDS-1"}, ["peds"]),
        ({"provider_activity_id": "pc-"}, ["cme"]),
        ({"program": "ABIM"}, ["imu"]),
        ({"program": "ABP"}, ["peds"]),
        ({"program": "ABS"}, []),
        ({"program": "CME"}, ["cme", "rems"]),
        ({"program": "REMS"}, ["rems"]),
        ({"reporting_year": "2025"}, ["peds"]),
        ({"reporting_year": "2026"}, ["imu", "cme", "rems"]),
    ],
)
def test_it_filters_activities(
    staff_client: Client,
    activities: dict[str, Activity],
    query: dict[str, str],
    expected: list[str],
) -> None:
    response = staff_client.get(SUMMARY, query)

    assert response.status_code == 200
    assert set(_listed(response)) == _ids(*(activities[k] for k in expected))


def test_it_combines_filters(staff_client: Client, activities: dict[str, Activity]) -> None:
    ActivityFactory(
        provider=activities["imu"].provider,
        title="Internal Medicine Review",
        start_date=date(2025, 6, 1),
        boards={"ABIM": "5"},
    )

    response = staff_client.get(
        SUMMARY, {"title": "internal", "program": "ABIM", "reporting_year": "2026"}
    )

    assert _listed(response) == [activities["imu"].activity_id]


def test_it_says_when_no_activity_matches(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    response = staff_client.get(SUMMARY, {"title": "no such activity"})

    assert response.status_code == 200
    assert b"No activities match these filters." in response.content


@pytest.mark.parametrize(
    "query", [{"program": "XYZ"}, {"reporting_year": "abc"}, {"reporting_year": "1999"}]
)
def test_it_refuses_a_bad_filter_with_a_client_error(
    staff_client: Client, activities: dict[str, Activity], query: dict[str, str]
) -> None:
    response = staff_client.get(SUMMARY, query)

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_it_offers_rems_only_to_rems_providers(outsider_client: Client) -> None:
    response = outsider_client.get(SUMMARY)

    choices = dict(response.context["form"].fields["program"].choices)
    assert "REMS" not in choices
    assert {"CME", "ABIM", "ABP"} <= set(choices)


def test_it_pages_25_activities_at_a_time(staff_client: Client, provider: Provider) -> None:
    for n in range(30):
        ActivityFactory(provider=provider, title=f"Series {n:02d}", start_date=date(2026, 1, 1))

    first = staff_client.get(SUMMARY, {"title": "series"})
    second = staff_client.get(SUMMARY, {"title": "series", "page": "2"})

    assert len(_listed(first)) == 25
    assert b"Showing 1 - 25 of 30 Activities" in first.content
    assert len(_listed(second)) == 5
    assert b"Showing 26 - 30 of 30 Activities" in second.content
    assert not set(_listed(first)) & set(_listed(second))
    # The page links keep the filters.
    assert b'href="?title=series&amp;page=2"' in first.content


def test_it_turns_a_bad_page_number_into_a_page_that_exists(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    assert staff_client.get(SUMMARY, {"page": "x"}).status_code == 200
    assert staff_client.get(SUMMARY, {"page": "99"}).context["page"].number == 1


def test_it_refuses_post_on_the_summary(staff_client: Client) -> None:
    assert staff_client.post(SUMMARY).status_code == 405


def test_it_sends_anonymous_users_to_log_in() -> None:
    response = Client().get(SUMMARY)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- Exports -----------------------------------------------------------------------------------


def _export(client: Client, fmt: str, query: dict[str, str]) -> object:
    return client.get(reverse("learners:activity_summary_export", args=[fmt]), query)


def test_it_exports_the_filtered_list_as_csv(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    CompletionRecordFactory(activity=activities["imu"], status=RecordStatus.SUBMITTED)

    response = _export(staff_client, "csv", {"program": "ABIM"})

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/csv")  # type: ignore[index]
    assert "attachment" in response["Content-Disposition"]  # type: ignore[index]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert len(rows) == 1
    assert rows[0]["ACCME Activity ID"] == activities["imu"].activity_id
    assert rows[0]["Provider Activity ID"] == "IMU-1"
    assert rows[0]["Activity Title"] == "Internal Medicine Update"
    assert rows[0]["Board or Program"] == "ABIM"
    assert rows[0]["Start Date"] == "02/01/2026"
    assert (rows[0]["Learners"], rows[0]["Submitted"], rows[0]["Approved"]) == ("1", "1", "0")


def test_it_exports_every_page_not_just_the_first(staff_client: Client, provider: Provider) -> None:
    for n in range(30):
        ActivityFactory(provider=provider, title=f"Series {n:02d}")

    response = _export(staff_client, "csv", {"page": "2"})

    assert len(response.getvalue().decode("utf-8-sig").splitlines()) == 31  # type: ignore[attr-defined]


@pytest.fixture
def thirty_with_a_learner_each(provider: Provider) -> None:
    for n in range(30):
        CompletionRecordFactory(
            activity=ActivityFactory(provider=provider, title=f"Series {n:02d}")
        )


@pytest.mark.usefixtures("thirty_with_a_learner_each")
def test_it_exports_the_counts_of_activities_past_the_first_batch(staff_client: Client) -> None:
    response = _export(staff_client, "csv", {})

    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert [row["Learners"] for row in rows] == ["1"] * 30


@pytest.mark.usefixtures("thirty_with_a_learner_each")
def test_its_export_sends_a_page_of_activities_before_counting_the_rest(
    staff_client: Client,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = _export(staff_client, "csv", {})
        first = next(iter(response.streaming_content))  # type: ignore[attr-defined]

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "completionrecord" in q["sql"]]
    assert len(counts) == 1
    assert len(first.decode("utf-8-sig").splitlines()) == 1 + 25  # the header and 25 activities
    response.close()  # type: ignore[attr-defined]


def test_it_exports_the_filtered_list_as_xlsx(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    response = _export(staff_client, "xlsx", {"reporting_year": "2026"})

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "spreadsheetml" in response["Content-Type"]  # type: ignore[index]
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active  # type: ignore[attr-defined]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("ACCME Activity ID", "Provider Activity ID", "Activity Title")
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_id) == _ids(activities["imu"], activities["cme"], activities["rems"])
    rems = by_id[activities["rems"].activity_id]
    assert rems["Board or Program"] == "REMS"
    assert rems["Reporting Year"] == 2026
    assert rems["Start Date"].date() == date(2026, 5, 1)
    assert by_id[activities["cme"].activity_id]["Board or Program"] == "CME"


def test_it_never_exports_another_providers_activities(
    outsider_client: Client, activities: dict[str, Activity]
) -> None:
    response = _export(outsider_client, "csv", {})

    content = response.getvalue().decode("utf-8-sig")  # type: ignore[attr-defined]
    assert "Internal Medicine Grand Rounds" in content
    assert "Internal Medicine Update" not in content


def test_it_refuses_an_unknown_export_format(staff_client: Client) -> None:
    assert staff_client.get("/activities/export.pdf", follow=True).status_code == 404


def test_it_refuses_a_bad_filter_on_export(staff_client: Client) -> None:
    assert _export(staff_client, "csv", {"program": "XYZ"}).status_code == 400  # type: ignore[attr-defined]


def test_it_refuses_post_on_export(staff_client: Client) -> None:
    url = reverse("learners:activity_summary_export", args=["csv"])
    assert staff_client.post(url).status_code == 405


# -- One activity ------------------------------------------------------------------------------


def _detail(activity: Activity) -> str:
    return reverse("learners:activity_detail", args=[activity.activity_id])


def test_it_shows_an_activitys_learners_with_every_status(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    imu = activities["imu"]
    learner = LearnerFactory(
        first_name="Georgia", last_name="O'Keeffe", birth_month=11, birth_day=15
    )
    CompletionRecordFactory(
        activity=imu,
        learner=learner,
        credit_id="C-1",
        board=Board.objects.get(code="ABIM"),
        diplomate_id="555001",
        moc_points=Decimal("2.50"),
        moc_credits=[{"type": "Medical Knowledge", "points": "2.50"}],
        status=RecordStatus.REJECTED,
        board_codes=[{"code": "664", "message": "Date of Birth does not match."}],
    )
    CompletionRecordFactory(activity=imu, credit_id="C-2", status=RecordStatus.DELETED)

    response = staff_client.get(_detail(imu))

    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "C-1",
        "Georgia O&#x27;Keeffe",
        "11/15",
        "ABIM 555001",
        "Medical Knowledge 2.50",
        "Rejected",
        "664",
        "Date of Birth does not match.",
        "C-2",
        "Deleted",
        "Showing 1 - 2 of 2 Learners",
    ):
        assert text in content, text
    assert reverse("learners:manual_entry", args=[imu.activity_id]) in content


def test_it_shows_rems_records_without_any_identity(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    CompletionRecordFactory(
        activity=activities["rems"],
        learner=None,
        credit_id="R-1",
        ama_credits=None,
        rems_learner_local_id="LOCAL-77",
        rems_profession="Pharmacist",
        rems_practice_area="Pain",
        rems_dea_registration="Individual",
        rems_practice_state="IL",
        rems_time_in_practice="6-10 years",
        rems_performs_surgery=False,
    )

    response = staff_client.get(_detail(activities["rems"]))

    content = response.content.decode()
    assert "LOCAL-77" in content
    assert "Pharmacist" in content
    assert "6-10 years" in content
    assert "Surgery No" in content
    row = re.search(
        r'<td data-label="Credit ID" class="credit-id optional">R-1</td>(.*?)</tr>', content, re.S
    )
    assert row is not None
    learner = re.search(r'<td data-label="Learner">(.*?)</td>', row.group(1))
    assert learner is not None and learner.group(1) == "—"  # no name, no date of birth


def test_it_pages_an_activitys_learners(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    for _ in range(55):
        CompletionRecordFactory(activity=activities["cme"])

    response = staff_client.get(_detail(activities["cme"]), {"page": "2"})

    assert b"Showing 51 - 55 of 55 Learners" in response.content


def test_it_answers_404_for_another_providers_activity(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    assert staff_client.get(_detail(activities["theirs"])).status_code == 404
    assert staff_client.get("/activities/999999999/").status_code == 404


def test_it_refuses_post_on_the_activity_page(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    assert staff_client.post(_detail(activities["imu"])).status_code == 405


# -- Delete ------------------------------------------------------------------------------------


def _delete_url(record: CompletionRecord) -> str:
    return reverse("learners:record_delete", args=[record.activity.activity_id, record.pk])


def test_it_asks_before_deleting_a_record(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"], credit_id="DEL-1")

    response = staff_client.get(_delete_url(record))

    assert response.status_code == 200
    assert b"Delete learner record?" in response.content
    assert b"csrfmiddlewaretoken" in response.content
    record.refresh_from_db()
    assert record.status == RecordStatus.ACCEPTED


def test_it_deletes_a_record_on_post(staff_client: Client, activities: dict[str, Activity]) -> None:
    record = CompletionRecordFactory(activity=activities["cme"], credit_id="DEL-1")

    response = staff_client.post(_delete_url(record), follow=True)

    assert response.redirect_chain[-1][0] == _detail(activities["cme"])
    assert b"Learner record DEL-1 was deleted." in response.content
    record.refresh_from_db()
    assert record.status == RecordStatus.DELETED


def test_it_deletes_a_rems_record(staff_client: Client, activities: dict[str, Activity]) -> None:
    record = CompletionRecordFactory(
        activity=activities["rems"], learner=None, rems_learner_local_id="LOCAL-1"
    )

    assert staff_client.post(_delete_url(record)).status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.DELETED


def test_it_says_a_deleted_record_is_already_gone(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"], status=RecordStatus.DELETED)

    response = staff_client.post(_delete_url(record), follow=True)

    assert b"is already deleted" in response.content


def test_it_refuses_to_delete_after_the_deletion_deadline(
    staff_client: Client, provider: Provider
) -> None:
    old = ActivityFactory(provider=provider, start_date=date(2024, 2, 1))
    record = CompletionRecordFactory(activity=old, completion_date=date(2024, 3, 1))

    response = staff_client.post(_delete_url(record))

    assert response.status_code == 400
    assert b"706" in response.content
    record.refresh_from_db()
    assert record.status == RecordStatus.ACCEPTED


def test_it_answers_404_to_an_outsider_deleting(
    outsider_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"])

    assert outsider_client.get(_delete_url(record)).status_code == 404
    assert outsider_client.post(_delete_url(record)).status_code == 404
    record.refresh_from_db()
    assert record.status == RecordStatus.ACCEPTED


def test_it_answers_404_for_a_record_of_another_activity(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"])
    url = reverse("learners:record_delete", args=[activities["imu"].activity_id, record.pk])

    assert staff_client.post(url).status_code == 404


def test_it_refuses_other_methods_on_delete(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"])

    assert staff_client.put(_delete_url(record)).status_code == 405


def test_it_requires_the_csrf_token_to_delete(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    record = CompletionRecordFactory(activity=activities["cme"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_client.user)  # type: ignore[attr-defined]

    assert client.post(_delete_url(record)).status_code == 403
    record.refresh_from_db()
    assert record.status == RecordStatus.ACCEPTED


# -- Navigation --------------------------------------------------------------------------------

LEARNER_SCREENS = {
    "learners:activity_summary",
    "learners:activity_summary_export",
    "learners:activity_detail",
    "learners:record_delete",
    "learners:learner_search",
    "learners:learner_search_export",
    "learners:learner_match",
    "learners:manual_entry",
}


def _links(content: str) -> list[str]:
    hrefs = (html.unescape(h) for h in re.findall(r'href="([^"#]+)', content))
    return [h for h in hrefs if not h.startswith(("http", "/static/"))]


def test_it_reaches_every_learner_screen_from_home(
    staff_client: Client, activities: dict[str, Activity]
) -> None:
    CompletionRecordFactory(activity=activities["imu"])
    home = reverse("home")
    queue, seen, reached = deque([home]), {home}, set()
    while queue:
        url = queue.popleft()
        response = staff_client.get(url)
        assert response.status_code == 200, url
        try:
            match = resolve(url.split("?")[0])
        except Resolver404:
            continue
        reached.add(match.view_name)
        if not response["Content-Type"].startswith("text/html"):
            continue
        for link in _links(response.content.decode()):
            target = link if link.startswith("/") else url.split("?")[0] + link
            try:
                name = resolve(target.split("?")[0]).view_name
            except Resolver404:
                continue
            if (name == "home" or name.startswith("learners:")) and target not in seen:
                seen.add(target)
                queue.append(target)

    assert reached >= LEARNER_SCREENS | {"home"}
    detail = staff_client.get(_detail(activities["imu"])).content.decode()
    assert f'href="{reverse("learners:manual_entry", args=[activities["imu"].activity_id])}"' in (
        detail
    )


# -- Query counts: the screens don't query once per row -----------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_summary_costs_the_same_queries_for_more_activities(
    staff_client: Client, provider: Provider
) -> None:
    ActivityFactory(provider=provider, boards={"ABIM": "1"})
    few = _queries(staff_client, SUMMARY)
    for _ in range(10):
        activity = ActivityFactory(provider=provider, boards={"ABIM": "1", "ABA": "1"})
        CompletionRecordFactory(activity=activity)

    assert _queries(staff_client, SUMMARY) == few


def test_an_activity_page_costs_the_same_queries_for_more_learners(
    staff_client: Client, provider: Provider
) -> None:
    activity = ActivityFactory(provider=provider, boards={"ABIM": "1"})
    CompletionRecordFactory(activity=activity)
    few = _queries(staff_client, _detail(activity))
    for _ in range(10):
        CompletionRecordFactory(activity=activity, board=Board.objects.get(code="ABIM"))

    assert _queries(staff_client, _detail(activity)) == few
