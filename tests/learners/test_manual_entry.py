"""Manual entry of one learner completion and the Learner Match check, both through the engine."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.engine.load import load_activities
from learners.engine.rules import lacks_for_learners
from learners.models import CompletionRecord, Learner, RecordSource, RecordStatus
from learners.records import activity_entry_choices
from portal.models import Provider
from tests.factories import ActivityFactory, CompletionRecordFactory, LearnerFactory

pytestmark = pytest.mark.django_db

MATCH = reverse("learners:learner_match")


@pytest.fixture(autouse=True)
def today(time_machine: object) -> date:
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    time_machine.move_to(noon, tick=False)  # type: ignore[attr-defined]
    return noon.date()


@pytest.fixture
def activity(provider: Provider) -> Activity:
    return ActivityFactory(
        provider=provider,
        title="Internal Medicine Update",
        start_date=date(2026, 9, 1),
        boards={"ABIM": "10"},
    )


@pytest.fixture
def georgia() -> Learner:
    return LearnerFactory(
        first_name="Georgia",
        last_name="O'Keeffe",
        birth_month=11,
        birth_day=15,
        license=("IL", "036123456"),
        board_ids={"ABIM": "979790"},
        medical_school="Lakeshore University School of Medicine",
    )


def _entry_url(activity: Activity) -> str:
    return reverse("learners:manual_entry", args=[activity.activity_id])


def _detail_url(activity: Activity) -> str:
    return reverse("learners:activity_detail", args=[activity.activity_id])


CME_ENTRY = {
    "program": "board",
    "completion_date": "2026-10-01",
    "first_name": "Georgia",
    "last_name": "O'Keeffe",
    "birth_date": "11/15",
    "licensing_state": "IL",
    "license_id": "036123456",
    "cme_credits": "2.5",
}

MOC_ENTRY = {
    **CME_ENTRY,
    "board": "ABIM",
    "board_id": "979790",
    "board_points": "2",
    "credit_type": "Medical Knowledge",
    "credit_type_points": "2",
}


def _records(activity: Activity) -> list[CompletionRecord]:
    return list(CompletionRecord.objects.filter(activity=activity).order_by("pk"))


def test_it_links_the_entry_page_at_the_top_of_the_activity_page(
    staff_client: Client, activity: Activity
) -> None:
    content = staff_client.get(_detail_url(activity)).content.decode()

    link = f'<a href="{_entry_url(activity)}" role="button">Enter learner manually</a>'
    assert link in content
    assert content.index(link) < content.index('id="learners-heading"')
    assert "<form" not in content.split("</header>")[1].split("Delete")[0]  # no form on it


def test_it_offers_the_entry_form_on_its_own_page(staff_client: Client, activity: Activity) -> None:
    response = staff_client.get(_entry_url(activity))

    assert response.status_code == 200
    content = response.content.decode()
    for label in (
        "Completion Date",
        "First Name",
        "Date of Birth",
        "Licensing ID or NPI",
        "Number of CME Credits",
        "Certifying Board ID",
        "Total Board Credits",
        "Additional Credit Type",
    ):
        assert label in content, label
    assert "Medical Knowledge" in content  # the activity's credit types are offered
    assert "Opioid Analgesic REMS learner instead" not in content
    assert 'id="entry-errors"' not in content


def test_it_offers_only_the_credit_types_the_activity_offers(
    staff_client: Client, activity: Activity
) -> None:
    registration = activity.moc_registrations.get()
    registration.credit_types.set(registration.board.credit_types.filter(name="Patient Safety"))

    content = staff_client.get(_entry_url(activity)).content.decode()

    assert '<option value="Patient Safety">' in content
    assert "Medical Knowledge" not in content and "Practice Assessment" not in content


def test_it_accepts_a_cme_entry_and_says_what_was_stored(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    response = staff_client.post(_entry_url(activity), CME_ENTRY, follow=True)

    [record] = _records(activity)
    assert response.redirect_chain == [
        (f"{_entry_url(activity)}?program=board&stored={record.pk}", 302)
    ]
    assert record.status == RecordStatus.ACCEPTED
    assert record.source == RecordSource.MANUAL
    assert record.learner == georgia
    assert record.credit_id.startswith("M-") and len(record.credit_id) == 34
    assert record.completion_date == date(2026, 10, 1)
    content = response.content.decode()
    assert f"Learner record {record.credit_id} was stored: Accepted." in content
    assert "Georgia O&#x27;Keeffe, DOB 11/15" in content
    assert "Add another learner to this activity" in content
    assert 'value="Georgia"' not in content  # the form below is blank, for the next learner


def test_it_ignores_a_stored_record_of_another_activity_or_provider(
    staff_client: Client, activity: Activity, other_provider: Provider
) -> None:
    theirs = CompletionRecordFactory(activity__provider=other_provider)

    for stored in (str(theirs.pk), "x", ""):
        response = staff_client.get(f"{_entry_url(activity)}?stored={stored}")
        assert response.status_code == 200
        assert b'id="entry-stored"' not in response.content


def test_it_submits_a_moc_entry_for_the_board(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    response = staff_client.post(_entry_url(activity), MOC_ENTRY)

    assert response.status_code == 302
    [record] = _records(activity)
    assert record.status == RecordStatus.SUBMITTED
    assert record.board is not None and record.board.code == "ABIM"
    assert record.diplomate_id == "979790"
    assert record.moc_credits == [{"type": "Medical Knowledge", "points": "2.00"}]


def test_it_rejects_an_entry_with_the_engines_codes_and_a_client_error(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    entry = {**CME_ENTRY, "first_name": "", "completion_date": "13/45/2026", "cme_credits": "0.3"}

    response = staff_client.post(_entry_url(activity), entry)

    assert response.status_code == 400
    content = response.content.decode()
    assert "This learner record was not accepted: 3 problems" in content
    for code in ("622", "671", "722"):
        assert f"<strong>{code}</strong>" in content, code
    assert "13/45/2026" in content  # the message names the value; the form keeps what was typed
    assert _records(activity) == []


def _input(content: str, name: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', content)
    assert found is not None, name
    return found.group(0)


def test_it_puts_the_summary_first_and_marks_each_field_at_fault(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    entry = {**CME_ENTRY, "first_name": "", "cme_credits": "0.3"}

    content = staff_client.post(_entry_url(activity), entry).content.decode()

    summary = content.index('id="entry-errors"')
    assert summary < content.index('<form method="post"')
    assert 'role="alert" tabindex="-1" autofocus' in content[summary - 60 : summary + 200]
    assert '<a href="#id_first_name"><strong>622</strong>: First Name is missing.</a>' in content
    first_name = _input(content, "first_name")
    assert 'aria-invalid="true"' in first_name
    assert 'aria-describedby="id_first_name_error"' in first_name
    assert (
        '<ul class="errorlist" id="id_first_name_error"><li>622: First Name is missing.</li>'
        in content
    )
    credits = _input(content, "cme_credits")
    assert 'aria-invalid="true"' in credits and 'value="0.3"' in credits
    last_name = _input(content, "last_name")
    assert "aria-invalid" not in last_name and 'value="O&#x27;Keeffe"' in last_name
    assert "selected" in content.split('name="licensing_state"')[1].split('value="IL"')[1][:12]


def test_it_rejects_a_learner_the_directory_does_not_know(
    staff_client: Client, activity: Activity
) -> None:
    response = staff_client.post(_entry_url(activity), CME_ENTRY)

    assert response.status_code == 400
    assert b"<strong>718</strong>" in response.content
    assert _records(activity) == []


def test_it_rejects_the_same_completion_twice(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    staff_client.post(_entry_url(activity), CME_ENTRY)

    response = staff_client.post(_entry_url(activity), CME_ENTRY)

    assert response.status_code == 400
    assert b"<strong>709</strong>" in response.content
    assert len(_records(activity)) == 1


def test_it_accepts_the_completion_again_after_a_delete(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    staff_client.post(_entry_url(activity), MOC_ENTRY)
    [first] = _records(activity)
    delete = reverse("learners:record_delete", args=[activity.activity_id, first.pk])
    assert staff_client.post(delete).status_code == 302

    response = staff_client.post(_entry_url(activity), MOC_ENTRY)

    assert response.status_code == 302
    first_again, second = _records(activity)
    assert first_again.status == RecordStatus.DELETED
    assert second.status == RecordStatus.SUBMITTED
    assert second.credit_id != first.credit_id


def test_it_refuses_an_overlong_value_with_a_client_error(
    staff_client: Client, activity: Activity
) -> None:
    response = staff_client.post(_entry_url(activity), {**CME_ENTRY, "first_name": "x" * 101})

    assert response.status_code == 400
    assert b"Ensure this value has at most 100 characters" in response.content


def test_it_answers_404_to_an_outsider(
    outsider_client: Client, activity: Activity, georgia: Learner
) -> None:
    assert outsider_client.get(_entry_url(activity)).status_code == 404
    response = outsider_client.post(_entry_url(activity), CME_ENTRY)

    assert response.status_code == 404
    assert _records(activity) == []


def test_it_refuses_other_methods_on_the_entry_page(
    staff_client: Client, activity: Activity
) -> None:
    assert staff_client.put(_entry_url(activity)).status_code == 405
    assert staff_client.delete(_entry_url(activity)).status_code == 405


def test_it_fills_in_what_a_learner_match_found(staff_client: Client, activity: Activity) -> None:
    query = "first_name=Georgia&last_name=O%27Keeffe&birth_date=11/15&licensing_state=IL"
    query += "&license_id=036123456&board=ABP&board_id=77&cme_credits=9"

    content = staff_client.get(f"{_entry_url(activity)}?{query}").content.decode()

    assert 'value="Georgia"' in _input(content, "first_name")
    assert 'value="11/15"' in _input(content, "birth_date")
    assert 'value="036123456"' in _input(content, "license_id")
    assert 'value="77"' in _input(content, "board_id")
    # A board the activity isn't registered with is shown as it was matched, marked so.
    assert '<option value="ABP" selected>ABP (not registered for this activity)</option>' in content
    assert 'value="9"' not in _input(content, "cme_credits")  # only the identity is carried


def test_it_requires_the_csrf_token_to_enter(
    staff_client: Client, activity: Activity, georgia: Learner
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_client.user)  # type: ignore[attr-defined]

    assert client.post(_entry_url(activity), CME_ENTRY).status_code == 403
    assert _records(activity) == []


# -- REMS --------------------------------------------------------------------------------------

REMS_ENTRY = {
    "program": "rems",
    "completion_date": "10/01/2026",
    "learner_local_id": "LMS-0042",
    "profession": "Pharmacist",
    "practice_area": "Pain",
    "dea_registration": "None",
    "practice_state": "IL",
    "time_in_practice": "6-10 years",
    "performs_surgery": "N",
}


@pytest.fixture
def rems_activity(provider: Provider) -> Activity:
    return ActivityFactory(provider=provider, start_date=date(2026, 9, 1), rems_registered=True)


def test_it_accepts_a_rems_entry_without_identity(
    staff_client: Client, rems_activity: Activity
) -> None:
    detail = staff_client.get(_detail_url(rems_activity)).content.decode()
    assert f'href="{_entry_url(rems_activity)}?program=rems"' in detail
    page = staff_client.get(f"{_entry_url(rems_activity)}?program=rems")
    assert b"<h1>Enter an Opioid Analgesic REMS learner</h1>" in page.content
    assert b'name="learner_local_id"' in page.content and b'name="first_name"' not in page.content

    response = staff_client.post(_entry_url(rems_activity), REMS_ENTRY, follow=True)

    [record] = _records(rems_activity)
    assert response.redirect_chain == [
        (f"{_entry_url(rems_activity)}?program=rems&stored={record.pk}", 302)
    ]
    assert record.learner is None
    assert record.status == RecordStatus.ACCEPTED
    assert (record.rems_learner_local_id, record.rems_profession) == ("LMS-0042", "Pharmacist")
    assert record.rems_performs_surgery is False
    assert b"LMS-0042" in response.content
    assert b'name="learner_local_id"' in response.content  # add another: the REMS form again


def test_it_rejects_a_rems_entry_with_rems_codes(
    staff_client: Client, rems_activity: Activity
) -> None:
    entry = {**REMS_ENTRY, "profession": "Wizard", "practice_area": ""}

    response = staff_client.post(_entry_url(rems_activity), entry)

    assert response.status_code == 400
    content = response.content.decode()
    assert "<strong>715</strong>" in content and "<strong>714</strong>" in content
    assert 'aria-invalid="true"' in _input(content, "profession")
    assert 'aria-invalid="true"' in _input(content, "practice_area")
    assert "aria-invalid" not in _input(content, "dea_registration")
    assert '<a href="#id_rems_practice_area">' in content
    assert _records(rems_activity) == []


def test_it_refuses_the_rems_form_on_an_activity_without_rems(
    staff_client: Client, activity: Activity
) -> None:
    assert staff_client.get(f"{_entry_url(activity)}?program=rems").status_code == 404


def test_it_refuses_rems_entry_on_an_activity_without_rems(
    staff_client: Client, activity: Activity
) -> None:
    response = staff_client.post(_entry_url(activity), REMS_ENTRY)

    assert response.status_code == 400
    assert b"does not take Opioid Analgesic REMS learners" in response.content
    assert _records(activity) == []


def test_it_refuses_rems_entry_for_a_provider_outside_rems(
    outsider_client: Client, other_provider: Provider
) -> None:
    activity = ActivityFactory(
        provider=other_provider, start_date=date(2026, 9, 1), rems_registered=True
    )

    response = outsider_client.post(_entry_url(activity), REMS_ENTRY)

    assert response.status_code == 400
    assert _records(activity) == []


# -- Learner Match -----------------------------------------------------------------------------


def test_it_shows_the_learner_match_form(staff_client: Client) -> None:
    response = staff_client.get(MATCH)

    assert response.status_code == 200
    assert b"Learner Match" in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_it_answers_one_match_as_safe_to_submit(staff_client: Client, georgia: Learner) -> None:
    response = staff_client.post(
        MATCH,
        {
            "first_name": "georgia",
            "last_name": "OKeeffe",
            "birth_month": "11",
            "birth_day": "15",
            "licensing_state": "IL",
            "license_id": "036123456",
        },
    )

    assert response.status_code == 200
    assert response.context["count"] == 1
    assert b"1 learner matched." in response.content
    assert b"safe to submit" in response.content


def test_it_answers_no_match(staff_client: Client, georgia: Learner) -> None:
    response = staff_client.post(
        MATCH, {"first_name": "Georgia", "last_name": "O'Keeffe", "board": "ABIM", "board_id": "1"}
    )

    assert response.context["count"] == 0
    assert b"No learner in PARS matches" in response.content


def test_it_answers_many_matches_as_ambiguous(staff_client: Client, georgia: Learner) -> None:
    LearnerFactory(
        first_name="Georgia",
        last_name="O'Keeffe",
        birth_month=11,
        birth_day=15,
        medical_school="Lakeshore University School of Medicine",
    )

    response = staff_client.post(
        MATCH,
        {
            "first_name": "Georgia",
            "last_name": "O'Keeffe",
            "birth_month": "11",
            "birth_day": "15",
            "medical_school": "Lakeshore University School of Medicine",
        },
    )

    assert response.context["count"] == 2
    assert b"2 learners matched." in response.content
    assert b"ambiguous" in response.content
    assert b"add an identifier" in response.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_name": "Georgia", "last_name": "O'Keeffe"}, b"at least one of"),
        ({"last_name": "O'Keeffe", "npi": "1234567893"}, b"This field is required."),
    ],
)
def test_it_refuses_an_insufficient_identity_with_a_client_error(
    staff_client: Client, data: dict[str, str], message: bytes
) -> None:
    response = staff_client.post(MATCH, data)

    assert response.status_code == 400
    assert message in response.content


def test_it_leads_a_failed_learner_match_to_the_fields_at_fault(staff_client: Client) -> None:
    response = staff_client.post(MATCH, {"npi": "1234567893"})

    assert response.status_code == 400
    content = response.content.decode()
    summary = content[content.index('<div id="form-errors"') :]
    summary = summary[: summary.index("</div>")]
    assert 'role="alert"' in summary and "autofocus" in summary
    assert '<a href="#id_first_name">First name: This field is required.</a>' in summary
    assert '<a href="#id_last_name">Last name: This field is required.</a>' in summary
    assert content.count("autofocus") == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"first_name": "G", "last_name": "O", "licensing_state": "IL"},
            b"The licensing state and the licensing ID go together.",
        ),
        (
            {"first_name": "G", "last_name": "O", "board_id": "979790"},
            b"The certifying board and the board ID go together.",
        ),
        (
            {"first_name": "G", "last_name": "O", "birth_month": "11"},
            b"The birth month and the birth day go together.",
        ),
        (
            {"first_name": "Georgia", "last_name": "O'Keeffe", "npi": "1234567890"},
            b"NPI &#x27;1234567890&#x27; is not a valid NPI",
        ),
        (
            {
                "first_name": "Georgia",
                "last_name": "O'Keeffe",
                "birth_month": "2",
                "birth_day": "31",
            },
            b"Month 2, day 31 is not a date of birth.",
        ),
    ],
)
def test_it_counts_zero_and_says_why_for_values_that_cannot_match(
    staff_client: Client, data: dict[str, str], message: bytes
) -> None:
    response = staff_client.post(MATCH, data)

    assert response.status_code == 200
    assert response.context["count"] == 0
    assert message in response.content


def test_it_refuses_other_methods_on_learner_match(staff_client: Client) -> None:
    assert staff_client.put(MATCH).status_code == 405


def test_it_requires_a_login_for_learner_match() -> None:
    assert Client().get(MATCH).status_code == 302


def test_it_requires_the_csrf_token_for_learner_match(staff_client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_client.user)  # type: ignore[attr-defined]

    assert client.post(MATCH, {"first_name": "G", "last_name": "O"}).status_code == 403


def test_it_says_what_is_wrong_with_a_malformed_npi_beside_the_field(
    staff_client: Client, georgia: Learner
) -> None:
    response = staff_client.post(
        MATCH, {"first_name": "Georgia", "last_name": "O'Keeffe", "npi": "12345"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "learners matched" not in content and "0 learner" not in content
    assert "These details can't match a learner" in content
    assert '<a href="#id_npi">NPI &#x27;12345&#x27; is not a valid NPI' in content
    npi = _input(content, "npi")
    assert 'aria-invalid="true"' in npi and 'aria-describedby="id_npi_error"' in npi
    assert 'id="id_npi_error"><li>NPI &#x27;12345&#x27; is not a valid NPI' in content


def test_it_links_a_single_match_to_a_pre_filled_manual_entry(
    staff_client: Client, georgia: Learner, activity: Activity
) -> None:
    identity = {
        "first_name": "Georgia",
        "last_name": "O'Keeffe",
        "birth_month": "11",
        "birth_day": "15",
        "licensing_state": "IL",
        "license_id": "036123456",
    }
    prefill = (
        "first_name=Georgia&last_name=O%27Keeffe&birth_date=11%2F15&licensing_state=IL"
        "&license_id=036123456"
    )

    anywhere = staff_client.post(MATCH, identity).content.decode()
    from_activity = staff_client.post(f"{MATCH}?activity={activity.activity_id}", identity)

    choose = reverse("learners:manual_entry_choose")
    assert f'href="{choose}?{prefill.replace("&", "&amp;")}"' in anywhere
    assert f'href="{_entry_url(activity)}?{prefill.replace("&", "&amp;")}"' in (
        from_activity.content.decode()
    )
    entry = staff_client.get(f"{_entry_url(activity)}?{prefill}").content.decode()
    assert 'value="036123456"' in _input(entry, "license_id")


def test_it_lets_a_matched_learner_be_entered_on_a_chosen_activity(
    staff_client: Client, activity: Activity, provider: Provider
) -> None:
    draft = ActivityFactory(provider=provider, title="Draft Course", status="draft")
    choose = reverse("learners:manual_entry_choose")

    page = staff_client.get(f"{choose}?first_name=Georgia&npi=1").content.decode()
    response = staff_client.get(f"{choose}?first_name=Georgia&activity={activity.activity_id}")

    assert activity.title in page and draft.title not in page
    assert '<input type="hidden" name="first_name" value="Georgia">' in page
    assert response.status_code == 302
    assert response["Location"] == f"{_entry_url(activity)}?first_name=Georgia"


def test_it_answers_404_for_another_providers_activity_when_choosing(
    staff_client: Client, other_provider: Provider
) -> None:
    theirs = ActivityFactory(provider=other_provider)
    choose = reverse("learners:manual_entry_choose")

    assert staff_client.get(f"{choose}?activity={theirs.activity_id}").status_code == 404
    assert staff_client.post(choose).status_code == 405


def test_it_offers_the_activities_that_take_learners_as_the_engine_says(provider: Provider) -> None:
    active = ActivityFactory(provider=provider)
    # A draft with all a learner report needs takes learners; one without its credits does not.
    ready = ActivityFactory(provider=provider, status=Activity.Status.DRAFT, providership="direct")
    bare = ActivityFactory(
        provider=provider, status=Activity.Status.DRAFT, providership="direct", ama_credits=None
    )
    closed = ActivityFactory(provider=provider, status=Activity.Status.CLOSED)
    ActivityFactory()  # another provider's

    offered = set(activity_entry_choices(provider=provider))

    assert offered == {active, ready}
    for activity in (active, ready, bare, closed):
        facts = load_activities(provider=provider, activity_ids=[activity.activity_id])
        takes = not lacks_for_learners(facts[activity.activity_id])
        assert (activity in offered) == (takes and activity != closed)
