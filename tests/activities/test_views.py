"""The Activities tab: list, export, register, edit and close, MOC and REMS, delete.

Every view: the owner's staff see and change their activities, another provider's staff get
404, a wrong method gets 405, and a refusal shows PARS's code beside the field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, ActivityStatus
from learners.models import RecordStatus
from portal.models import Provider
from tests.factories import CompletionRecordFactory

pytestmark = pytest.mark.django_db
Add = Callable[..., Activity]

FORM = {
    "provider_activity_id": "CARD-GR-2026",
    "title": "Cardiology Grand Rounds",
    "format_name": "Regularly Scheduled Series",
    "start_date": "2026-01-07",
    "end_date": "2026-12-16",
    "credit_claim_date": "2027-01-31",
    "ama_credits": "1",
    "providership": "joint",
    "joint_providers": "Lakeshore Society\nPrairie College",
    "description": "Weekly case conference.",
    "url": "",
    "city": "Chicago",
    "state": "IL",
    "country": "USA",
    "specialties": ["Cardiology"],
    "commercial_support": "no",
    "physicians": "",
    "other_learners": "",
    "status": "active",
}


def url(name: str, *args: Any) -> str:
    return reverse(f"activities:{name}", args=args)


# -- List and export ---------------------------------------------------------------------------


def test_it_lists_the_providers_activities_with_filters(
    staff_client: Client, add_activity: Add, other_provider: Provider
) -> None:
    mine = add_activity(1)
    add_activity(2, status="draft", title="Dermatology draft", description="")
    theirs = add_activity(3, to=other_provider, title="Their activity")
    page = staff_client.get(url("list")).content.decode()
    assert mine.activity_id in page and "Dermatology draft" in page
    assert theirs.activity_id not in page and "Their activity" not in page
    drafts = staff_client.get(url("list"), {"status": "draft"}).content.decode()
    assert "Dermatology draft" in drafts and mine.title not in drafts
    by_board = staff_client.get(url("list"), {"board": "ABIM", "q": "cardiology"}).content.decode()
    assert mine.activity_id in by_board and "Dermatology draft" not in by_board


def test_it_pages_the_list(staff_client: Client, add_activity: Add) -> None:
    for n in range(1, 28):
        add_activity(n)
    first = staff_client.get(url("list")).content.decode()
    second = staff_client.get(url("list"), {"page": "2"}).content.decode()
    assert "Showing 1 - 25 of 27 Activities" in first
    assert "Showing 26 - 27 of 27 Activities" in second


def test_it_answers_bad_filters_with_400(staff_client: Client) -> None:
    response = staff_client.get(url("list"), {"reporting_year": "last year"})
    assert response.status_code == 400


def test_it_exports_the_filtered_list(
    staff_client: Client, add_activity: Add, other_provider: Provider
) -> None:
    mine = add_activity(1)
    add_activity(2, to=other_provider)
    response = staff_client.get(url("export", "csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ACCME Activity ID", "Provider Activity ID", "Activity Title"]
    assert [r[0] for r in rows[1:]] == [mine.activity_id]
    assert rows[1][18] == "ABIM 10.00"
    workbook = load_workbook(io.BytesIO(staff_client.get(url("export", "xlsx")).content))
    assert workbook.active.cell(row=2, column=1).value == mine.activity_id  # type: ignore[union-attr]


def test_it_answers_wrong_methods_on_the_list_with_405(staff_client: Client) -> None:
    assert staff_client.post(url("list")).status_code == 405
    assert staff_client.post(url("export", "csv")).status_code == 405


# -- Register ----------------------------------------------------------------------------------


def test_it_registers_an_activity(staff_client: Client, provider: Provider) -> None:
    response = staff_client.post(url("new"), FORM)
    activity = Activity.objects.get(provider=provider, provider_activity_id="CARD-GR-2026")
    assert response.status_code == 302
    assert response["Location"] == url("detail", activity.activity_id)
    assert activity.status == ActivityStatus.ACTIVE
    assert activity.joint_provider_names == ["Lakeshore Society", "Prairie College"]
    assert [s.name for s in activity.specialties.all()] == ["Cardiology"]


def test_it_saves_a_draft_with_only_what_a_draft_needs(
    staff_client: Client, provider: Provider
) -> None:
    fields = {"provider_activity_id": "D-1", "title": "Draft", "format_name": "Live Course",
              "start_date": "2026-05-01", "status": "draft", "country": "USA"}  # fmt: skip
    assert staff_client.post(url("new"), fields).status_code == 302
    draft = Activity.objects.get(provider=provider, provider_activity_id="D-1")
    assert draft.status == "draft"
    page = staff_client.get(url("detail", draft.activity_id)).content.decode()
    assert "Learners can't be reported on it until it has its end date, credit claim" in page

    # Dates, credits and providership, but no description: still a draft, and it takes learners.
    more = {**fields, "end_date": "2026-05-02", "ama_credits": "2", "providership": "direct"}
    assert staff_client.post(url("edit", draft.activity_id), more).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.description) == ("draft", "")
    page = staff_client.get(url("detail", draft.activity_id)).content.decode()
    assert "Learners may be reported on it: it has its dates, credits and providership." in page


def test_it_shows_each_code_beside_its_field_and_focuses_the_summary(
    staff_client: Client, provider: Provider
) -> None:
    response = staff_client.post(url("new"), {**FORM, "title": "", "end_date": "2026-01-01"})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<p class="field-error" id="id_title_error">203: Missing Activity title.</p>' in page
    assert "469: Activity end date 2026-01-01 cannot be earlier" in page
    assert 'name="title" aria-invalid="true" aria-describedby="id_title_error"' in page
    assert 'id="form-errors" tabindex="-1" autofocus' in page
    assert page.count("autofocus") == 1
    assert '<a href="#id_title">' in page
    assert not Activity.objects.filter(provider=provider).exists()


def test_it_answers_405_to_a_put_on_the_register_form(staff_client: Client) -> None:
    assert staff_client.put(url("new")).status_code == 405


# -- One activity ------------------------------------------------------------------------------


def test_it_shows_an_activity_with_its_registrations(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    page = staff_client.get(url("detail", activity.activity_id)).content.decode()
    assert activity.title in page and "Medical Knowledge" in page and "Active" in page
    assert staff_client.post(url("detail", activity.activity_id)).status_code == 405


def test_it_edits_an_activity_and_closes_it_with_learner_counts(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity(end_date="2026-06-30", credit_claim_date="")
    form = staff_client.get(
        url("edit", activity.activity_id), {"status": "closed"}
    ).content.decode()
    assert '<option value="closed" selected>Closed</option>' in form
    data = {**FORM, "provider_activity_id": activity.provider_activity_id, "end_date": "2026-06-30",
            "credit_claim_date": "", "status": "closed", "physicians": "", "other_learners": "4"}  # fmt: skip
    refused = staff_client.post(url("edit", activity.activity_id), data)
    assert refused.status_code == 400
    assert "457: " in refused.content.decode() and "483: " in refused.content.decode()
    closed = staff_client.post(url("edit", activity.activity_id), {**data, "physicians": "38"})
    assert closed.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.physician_count, activity.other_learner_count) == (
        "closed", 38, 4,
    )  # fmt: skip


def test_it_shows_a_board_s_own_credit_types_and_practice_areas(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    page = staff_client.get(url("moc", activity.activity_id), {"board": "ABPath"}).content.decode()
    assert "Cytopathology" in page and "Lifelong Learning" in page
    assert "Medical Knowledge" not in page
    abim = staff_client.get(url("moc", activity.activity_id), {"board": "ABIM"}).content.decode()
    assert "Practice Assessment" in abim and "Cytopathology" not in abim


def test_it_registers_an_activity_for_moc_with_a_board(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    data = {"board": "ABPath", "points": "2", "credit_types": ["Lifelong Learning"],
            "practice_area": "Cytopathology"}  # fmt: skip
    response = staff_client.post(url("moc", activity.activity_id), data)
    assert response.status_code == 302
    assert sorted(r.board.code for r in activity.moc_registrations.all()) == ["ABIM", "ABPath"]


def test_it_shows_moc_codes_beside_the_board_s_fields(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    data = {"board": "ABPath", "points": "2.1", "credit_types": ["Lifelong Learning"]}
    page = staff_client.post(url("moc", activity.activity_id), data).content.decode()
    assert 'id="id_points_error">319: ' in page
    assert 'id="id_practice_area_error">490: ' in page


def test_it_removes_a_board_unless_it_has_learners(staff_client: Client, add_activity: Add) -> None:
    activity = add_activity()
    record = CompletionRecordFactory(activity=activity)
    record.board = activity.moc_registrations.get().board
    record.save()
    refused = staff_client.post(url("moc_remove", activity.activity_id, "ABIM"))
    assert refused.status_code == 400 and "320: " in refused.content.decode()
    record.status = RecordStatus.DELETED
    record.save()
    assert staff_client.post(url("moc_remove", activity.activity_id, "ABIM")).status_code == 302
    assert not activity.moc_registrations.exists()
    assert staff_client.get(url("moc_remove", activity.activity_id, "ABIM")).status_code == 404


def test_it_asks_before_removing_a_board(staff_client: Client, add_activity: Add) -> None:
    activity = add_activity()
    address = url("moc_remove", activity.activity_id, "ABIM")

    page = staff_client.get(address)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Remove the ABIM registration?" in text and "Medical Knowledge" in text
    assert f'action="{address}"' in text
    assert activity.moc_registrations.count() == 1  # asking changed nothing


def test_it_registers_for_rems(staff_client: Client, add_activity: Add) -> None:
    activity = add_activity()
    assert staff_client.post(url("rems", activity.activity_id), {"rems": "yes"}).status_code == 302
    activity.refresh_from_db()
    assert activity.rems_registered


def test_it_asks_before_registering_for_rems_saying_what_changes(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    CompletionRecordFactory(activity=activity)
    CompletionRecordFactory(activity=activity, completion_date=activity.start_date)

    page = staff_client.get(url("rems", activity.activity_id), {"rems": "yes"})

    text = page.content.decode()
    assert page.status_code == 200 and "Register for Opioid Analgesic REMS?" in text
    assert "refused (714)" in text and "The 2 learners already reported on it" in text
    assert 'name="rems" value="yes"' in text
    activity.refresh_from_db()
    assert not activity.rems_registered


def test_it_deletes_an_activity_without_learners(staff_client: Client, add_activity: Add) -> None:
    activity = add_activity()
    assert staff_client.get(url("delete", activity.activity_id)).status_code == 200
    assert staff_client.post(url("delete", activity.activity_id)).status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_it_refuses_to_delete_an_activity_with_learners(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    CompletionRecordFactory(activity=activity)
    response = staff_client.post(url("delete", activity.activity_id))
    assert response.status_code == 400
    assert "106: Activity " in response.content.decode()
    assert staff_client.put(url("delete", activity.activity_id)).status_code == 405


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("detail", "get", ()),
        ("edit", "get", ()),
        ("edit", "post", ()),
        ("moc", "get", ()),
        ("moc", "post", ()),
        ("moc_remove", "post", ("ABIM",)),
        ("rems", "post", ()),
        ("delete", "get", ()),
        ("delete", "post", ()),
    ],
)
def test_it_gives_another_provider_404(
    outsider_client: Client, add_activity: Add, name: str, method: str, extra: tuple[str, ...]
) -> None:
    activity = add_activity()
    response = getattr(outsider_client, method)(url(name, activity.activity_id, *extra), FORM)
    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.title == "Cardiology Update 1" and activity.moc_registrations.exists()


def test_it_lists_activities_in_a_fixed_number_of_queries(
    staff_client: Client, add_activity: Add
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url("list")).status_code == 200
        return len(captured)

    add_activity(1)
    few = queries()
    for n in range(2, 21):
        add_activity(n)
    assert queries() == few


def test_it_says_at_once_that_a_closed_activity_is_not_edited(
    staff_client: Client, add_activity: Add
) -> None:
    activity = add_activity()
    Activity.objects.filter(pk=activity.pk).update(status=ActivityStatus.CLOSED)

    response = staff_client.get(url("edit", activity.activity_id), follow=True)

    assert response.redirect_chain == [(url("detail", activity.activity_id), 302)]
    text = response.content.decode()
    assert "closed activities may not be edited (481)" in text
    assert "Save activity" not in text
