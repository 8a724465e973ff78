"""SaveActivity: the guide's sample, Add/Update/Delete/close, and the Appendix A codes it answers.

Today is 22 November 2026 (the package's frozen clock): 2025 and 2026 are open reporting years,
2024 and before are closed. The guide's sample (2021) is moved into 2026 unless a test is about
the year itself. Every code the rules produce is also judged door-independently in
tests/activities/test_rules.py; these tests prove the web service answers them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from lxml import etree

from activities.models import Activity
from learners.models import RecordStatus
from portal.models import Provider
from tests.doors import activity_report, learner_reports_xml, submit_message
from tests.factories import CompletionRecordFactory
from tests.webservices.conftest import (
    ACTIVITY_NS,
    GUIDE_YEAR_OPEN,
    OTHER_PROVIDER_ID,
    PASSWORD,
    PROVIDER_ID,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    USER,
    codes,
    fixture,
    messages,
    parse_data,
    post,
    shape,
    status_code,
    submit,
    xml,
)

pytestmark = pytest.mark.django_db

LOM = "http://ltsc.ieee.org/xsd/LOM"
SAMPLE = {
    "action": "<ex:activityRecordAction>Add</ex:activityRecordAction>",
    "accme_id": "<lom:entry></lom:entry>",
    "provider_id": "<lom:entry>addactivityexample</lom:entry>",
    "title": "<lom:string>Internal Medicine Manuscript</lom:string>",
    "start": "<hx:startDateTime>2026-01-30</hx:startDateTime>",
    "end": "<hx:endDateTime>2026-12-30</hx:endDateTime>",
    "claim": "<ex:CreditClaimDate>2026-12-31</ex:CreditClaimDate>",
    "format": "<lom:string>Manuscript Review</lom:string>",
    "credits": "<hx:numberOfCredits>28</hx:numberOfCredits>",
    "points": "<ex:mocPoints>2.0</ex:mocPoints>",
    "close": "<ex:closeActivityRecord>false</ex:closeActivityRecord>",
    "description": "<lom:description>",
}


def activity_xml(**changes: str) -> str:
    """The guide's Add sample moved into 2026, some elements replaced ('' removes one)."""
    data = fixture("activity_add.xml").replace("2021-", "2026-")
    for name, replacement in changes.items():
        assert SAMPLE[name] in data, name
        data = data.replace(SAMPLE[name], replacement, 1)
    return data


def action(value: str) -> str:
    return f"<ex:activityRecordAction>{value}</ex:activityRecordAction>"


def accme_id(value: str) -> str:
    return f"<lom:entry>{value}</lom:entry>"


CLOSE = "<ex:closeActivityRecord>true</ex:closeActivityRecord>"
ENDED = {
    "start": "<hx:startDateTime>2026-01-30</hx:startDateTime>",
    "end": "<hx:endDateTime>2026-03-30</hx:endDateTime>",
    "claim": "",
}


def save(ws: Client, data: str, *, reporting_year: str | None = "2026", **kwargs: str) -> object:
    return post(
        ws,
        SAVE_ACTIVITY,
        submit(data, namespace=ACTIVITY_NS, reporting_year=reporting_year, **kwargs),
    )


def imu2_update(**changes: str) -> str:
    """An Update of the sandbox's activity 210015516 (IMU-2, 2025, ABIM) with its own values."""
    base = {
        "action": action("Update"),
        "accme_id": accme_id("210015516"),
        "provider_id": "<lom:entry>IMU-2</lom:entry>",
        "start": "<hx:startDateTime>2025-03-01</hx:startDateTime>",
        "end": "<hx:endDateTime>2025-11-30</hx:endDateTime>",
        "claim": "<ex:CreditClaimDate>2026-02-28</ex:CreditClaimDate>",
        "credits": "<hx:numberOfCredits>10</hx:numberOfCredits>",
    }
    return activity_xml(**{**base, **changes})


def stored(provider: Provider) -> Activity:
    return Activity.objects.get(provider=provider, provider_activity_id="addactivityexample")


# -- The guide's sample ------------------------------------------------------------------------


def test_it_adds_the_guides_sample_and_answers_like_the_guide(
    sandbox: Provider, ws: Client
) -> None:
    with time_machine.travel(GUIDE_YEAR_OPEN):
        response = post(ws, SAVE_ACTIVITY, fixture("save_activity_request.xml"))
    assert response.status_code == 200
    expected = etree.fromstring(fixture("save_activity_response.xml").encode())
    assert shape(xml(response)) == shape(expected)
    activity = stored(sandbox)
    assert activity.title == "Internal Medicine Manuscript"
    assert activity.format.name == "Manuscript Review"
    assert (activity.start_date, activity.end_date) == (date(2021, 1, 30), date(2021, 12, 30))
    assert activity.credit_claim_date == date(2021, 12, 31)
    assert activity.ama_credits == Decimal("28")
    assert activity.reporting_year == 2021
    assert activity.status == Activity.Status.READY_TO_CLOSE  # its end date has passed
    assert activity.description.startswith("Content is the description")
    assert activity.url == "http://www.example.nil"
    assert (activity.providership, activity.commercial_support) == ("direct", True)
    assert (activity.physician_count, activity.other_learner_count) == (2, 108)
    assert sorted(activity.specialties.values_list("name", flat=True)) == [
        "Hematology",
        "Nephrology",
    ]
    registration = activity.moc_registrations.get()
    assert (registration.board.code, registration.points) == ("ABIM", Decimal("2"))
    assert sorted(t.name for t in registration.credit_types.all()) == [
        "Medical Knowledge",
        "Patient Safety",
    ]


def test_it_refuses_the_guides_2021_sample_now_that_2021_is_closed(
    sandbox: Provider, ws: Client
) -> None:
    response = post(ws, SAVE_ACTIVITY, fixture("save_activity_request.xml"))
    assert status_code(response) == "Rejected"
    assert codes(response) == ["461"]
    assert "2021" in messages(response)[0]
    assert not Activity.objects.filter(provider_activity_id="addactivityexample").exists()


def test_it_echoes_the_data_with_the_assigned_activity_id(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml())
    activity = stored(sandbox)
    echoed = parse_data(response)
    entries = {
        identifier.findtext(f"{{{LOM}}}catalog"): identifier.findtext(f"{{{LOM}}}entry")
        for identifier in echoed.iter(f"{{{LOM}}}identifier")
    }
    assert entries["ACCME Activity ID"] == activity.activity_id
    assert entries["Provider Activity ID"] == "addactivityexample"
    assert len(activity.activity_id) == 9
    assert activity.status == Activity.Status.ACTIVE


def test_it_keeps_only_the_date_of_a_date_with_a_time(sandbox: Provider, ws: Client) -> None:
    data = activity_xml(
        start="<hx:startDateTime>2026-01-30T08:00:00</hx:startDateTime>",
        claim="<ex:CreditClaimDate>2026-12-31T00:00:00</ex:CreditClaimDate>",
    )
    assert status_code(save(ws, data)) == "Accepted"
    activity = stored(sandbox)
    assert (activity.start_date, activity.credit_claim_date) == (
        date(2026, 1, 30),
        date(2026, 12, 31),
    )


def test_it_uses_the_end_date_when_no_claim_date_is_given(sandbox: Provider, ws: Client) -> None:
    assert status_code(save(ws, activity_xml(claim=""))) == "Accepted"
    assert stored(sandbox).credit_claim_date == date(2026, 12, 30)


def test_it_adds_a_draft_when_the_activity_lacks_what_active_requires(
    sandbox: Provider, ws: Client
) -> None:
    data = activity_xml(end="", claim="", description="<lom:keyword>")
    response = save(ws, data.replace("</lom:description>", "</lom:keyword>"))
    assert status_code(response) == "Accepted", messages(response)
    activity = stored(sandbox)
    assert activity.status == Activity.Status.DRAFT
    assert activity.end_date is None


def undescribed(**changes: str) -> str:
    """The guide's activity of 2026 without its description (Active requires one)."""
    data = activity_xml(description="<lom:keyword>", **changes)
    return data.replace("</lom:description>", "</lom:keyword>")


def report_jane(ws: Client, activity_id: str) -> object:
    """SaveLearnerActivity: Jane ACCME (NPI) completed the activity on 10/01/2026, 2 credits."""
    record = {
        "record_action": "Add", "activity_id": activity_id, "completion_date": "10/01/2026",
        "first_name": "Jane", "last_name": "ACCME", "birth_date": "10/30",
        "license_id": "1999999026", "cme_credits": "2",
    }  # fmt: skip
    data = learner_reports_xml([activity_report(record, "draft")])
    return post(ws, SAVE_LEARNER, submit_message(data, user=USER, password=PASSWORD,
                                                 provider_id=PROVIDER_ID))  # fmt: skip


def test_it_takes_learners_on_a_draft_that_lacks_only_its_description(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, undescribed())
    assert status_code(response) == "Accepted", messages(response)
    activity = stored(sandbox)
    assert activity.status == Activity.Status.DRAFT
    assert "learners may be reported on it" in response["Warning"]  # type: ignore[index]

    learner = report_jane(ws, activity.activity_id)
    assert status_code(learner) == "Accepted", messages(learner)


def test_it_refuses_learners_on_a_draft_without_what_a_learner_report_needs(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, undescribed(credits=""))  # no AMA PRA Category 1 credits either
    assert status_code(response) == "Accepted", messages(response)
    activity = stored(sandbox)
    assert (activity.status, activity.ama_credits) == (Activity.Status.DRAFT, None)
    warning = response["Warning"]  # type: ignore[index]
    assert "learners can't be reported on it until it has its AMA PRA Category 1 credits" in warning

    learner = report_jane(ws, activity.activity_id)
    assert (status_code(learner), codes(learner)) == ("Rejected", ["749"])
    assert "without its AMA PRA Category 1 credits" in messages(learner)[0]

    # The credits given by an Update, the same learner is taken (still a draft: no description).
    update = undescribed(action=action("Update"), accme_id=accme_id(activity.activity_id))
    assert status_code(save(ws, update)) == "Accepted"
    assert stored(sandbox).status == Activity.Status.DRAFT
    assert status_code(report_jane(ws, activity.activity_id)) == "Accepted"


def test_it_adds_a_closed_activity_when_asked_to_close_it(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(close=CLOSE, **ENDED))
    assert status_code(response) == "Accepted", messages(response)
    assert stored(sandbox).status == Activity.Status.CLOSED


# -- Update and Delete -------------------------------------------------------------------------


def test_it_updates_an_activity(sandbox: Provider, ws: Client) -> None:
    data = imu2_update(title="<lom:string>Internal Medicine Update 2 (revised)</lom:string>")
    response = save(ws, data, reporting_year="2025")
    assert status_code(response) == "Accepted", messages(response)
    activity = Activity.objects.get(activity_id="210015516")
    assert activity.title == "Internal Medicine Update 2 (revised)"
    assert activity.format.name == "Manuscript Review"
    assert activity.moc_registrations.get().points == Decimal("2")
    assert activity.status == Activity.Status.READY_TO_CLOSE


def test_it_closes_an_activity_on_update(sandbox: Provider, ws: Client) -> None:
    data = imu2_update(close=CLOSE)
    assert status_code(save(ws, data, reporting_year="2025")) == "Accepted"
    activity = Activity.objects.get(activity_id="210015516")
    assert activity.status == Activity.Status.CLOSED
    assert (activity.physician_count, activity.other_learner_count) == (2, 108)


def test_it_deletes_an_activity_without_learners(sandbox: Provider, ws: Client) -> None:
    response = save(ws, imu2_update(action=action("Delete")), reporting_year="2025")
    assert status_code(response) == "Accepted"
    assert not Activity.objects.filter(activity_id="210015516").exists()


# -- Appendix A codes --------------------------------------------------------------------------


def test_it_answers_101_without_a_record_action(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(action=""))
    assert response.status_code == 200
    assert status_code(response) == "Rejected"
    assert codes(response) == ["101"]


def test_it_answers_102_for_an_unknown_record_action(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(action=action("Upsert")))
    assert codes(response) == ["102"]
    assert "'Upsert'" in messages(response)[0]


def test_it_answers_103_for_an_add_of_a_used_provider_activity_id(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, activity_xml(provider_id="<lom:entry>IMU-2</lom:entry>"))
    assert codes(response) == ["103"]
    assert "IMU-2" in messages(response)[0]


def test_it_answers_476_for_an_add_of_an_existing_activity_id(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, activity_xml(accme_id=accme_id("210015516")))
    assert codes(response) == ["476"]
    assert Activity.objects.filter(provider=sandbox).count() == 15


def test_it_answers_104_for_an_update_of_an_unknown_id(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(action=action("Update"), accme_id=accme_id("299999999")))
    assert codes(response) == ["104"]


def test_it_answers_105_for_a_delete_of_an_unknown_id(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(action=action("Delete"), accme_id=accme_id("299999999")))
    assert codes(response) == ["105"]


def test_it_answers_106_for_a_delete_of_an_activity_with_learners(
    sandbox: Provider, ws: Client
) -> None:
    activity = Activity.objects.get(activity_id="210015516")
    CompletionRecordFactory(activity=activity, completion_date=date(2025, 7, 6))
    response = save(ws, imu2_update(action=action("Delete")), reporting_year="2025")
    assert codes(response) == ["106"]
    assert Activity.objects.filter(activity_id="210015516").exists()


def test_it_answers_492_for_a_delete_of_an_activity_with_deleted_learners(
    sandbox: Provider, ws: Client
) -> None:
    activity = Activity.objects.get(activity_id="210015516")
    CompletionRecordFactory(activity=activity, status=RecordStatus.DELETED)
    response = save(ws, imu2_update(action=action("Delete")), reporting_year="2025")
    assert codes(response) == ["492"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": ""}, "203"),
        ({"start": ""}, "205"),
        ({"format": ""}, "211"),
        ({"provider_id": "<lom:entry></lom:entry>"}, "216"),
    ],
)
def test_it_answers_a_missing_field_with_its_code(
    sandbox: Provider, ws: Client, change: dict[str, str], code: str
) -> None:
    response = save(ws, activity_xml(**change))
    assert status_code(response) == "Rejected"
    assert code in codes(response)


def test_it_collects_every_missing_field(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(title="", format=""))
    assert codes(response) == ["203", "211"]


def test_it_answers_215_and_483_when_closing_without_an_end_date(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, activity_xml(end="", claim="", close=CLOSE))
    assert codes(response) == ["215", "483"]


def test_it_answers_457_when_an_update_drops_what_an_active_activity_needs(
    sandbox: Provider, ws: Client
) -> None:
    data = imu2_update(description="<lom:keyword>").replace("</lom:description>", "</lom:keyword>")
    response = save(ws, data, reporting_year="2025")
    assert codes(response) == ["457"]
    assert "Description" in messages(response)[0]


def test_it_answers_319_for_moc_points_off_the_quarter_steps(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(points="<ex:mocPoints>2.1</ex:mocPoints>"))
    assert codes(response) == ["319"]
    assert "'2.1'" in messages(response)[0]


@pytest.mark.parametrize("year", [None, "21", "year", "1066"])
def test_it_answers_452_for_a_missing_or_invalid_reporting_year(
    sandbox: Provider, ws: Client, year: str | None
) -> None:
    assert codes(save(ws, activity_xml(), reporting_year=year)) == ["452"]


def test_it_answers_462_when_the_reporting_year_is_not_the_start_year(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, activity_xml(), reporting_year="2025")
    assert codes(response) == ["462"]
    assert "2025" in messages(response)[0]


def test_it_answers_465_for_an_activity_of_a_closed_reporting_year(
    sandbox: Provider, ws: Client
) -> None:
    closed = Activity.objects.get(activity_id="210015530")  # the sandbox's closed-year activity
    year = str(closed.reporting_year)
    data = imu2_update(
        accme_id=accme_id("210015530"),
        provider_id=f"<lom:entry>{closed.provider_activity_id}</lom:entry>",
        start=f"<hx:startDateTime>{closed.start_date}</hx:startDateTime>",
        end=f"<hx:endDateTime>{closed.end_date}</hx:endDateTime>",
        claim="",
    )
    response = save(ws, data, reporting_year=year)
    assert codes(response) == ["465"]
    assert year in messages(response)[0]


def test_it_answers_453_with_http_400_for_data_that_is_not_xml(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, "this is not XML")
    assert response.status_code == 400
    assert status_code(response) == "Rejected"
    assert codes(response) == ["453"]
    assert "not well-formed XML" in messages(response)[0]


def test_it_answers_453_for_xml_that_is_not_an_activity(sandbox: Provider, ws: Client) -> None:
    response = save(ws, fixture("learner_report.xml"))
    assert codes(response) == ["453"]
    assert "ACCMEActivities" in messages(response)[0]


TWO_TITLES = "<lom:title><lom:string>A</lom:string></lom:title>" + SAMPLE["title"].join(
    ("<lom:title>", "</lom:title>")
)
TWO_PROVIDER_IDS = (
    "<lom:entry>addactivityexample</lom:entry></lom:identifier><lom:identifier>"
    "<lom:catalog>provider activity id</lom:catalog><lom:entry>other</lom:entry>"
)
TWO_AMA_CREDITS = (
    "<hx:numberOfCredits>28</hx:numberOfCredits></hx:credits><hx:credits>"
    "<hx:activityCertification>AMA PRA Category 1</hx:activityCertification>"
    "<hx:numberOfCredits>2</hx:numberOfCredits>"
)


@pytest.mark.parametrize(
    ("sample", "replacement", "said"),
    [
        ("<lom:title>\n" + SAMPLE["title"] + "\n</lom:title>", TWO_TITLES, "general holds 2 title"),
        (SAMPLE["title"], SAMPLE["title"] * 2, "title holds 2 string"),
        (SAMPLE["provider_id"], TWO_PROVIDER_IDS, "catalog 'provider activity id' is given twice"),
        (SAMPLE["credits"], TWO_AMA_CREDITS, "AMA PRA Category 1 credits is given twice"),
        (
            '<ParticipantsByCategory category="physician">2</ParticipantsByCategory>',
            '<ParticipantsByCategory category="physician">2</ParticipantsByCategory>' * 2,
            "number of physicians is given twice",
        ),
    ],
)
def test_it_answers_453_for_an_element_given_twice_where_one_is_read(
    sandbox: Provider, ws: Client, sample: str, replacement: str, said: str
) -> None:
    data = activity_xml()
    assert sample in data

    response = save(ws, data.replace(sample, replacement, 1))

    assert codes(response) == ["453"]
    assert said in messages(response)[0]
    assert not Activity.objects.filter(provider=sandbox, title="A").exists()
    assert not Activity.objects.filter(provider_activity_id="addactivityexample").exists()


def test_it_answers_454_for_more_than_one_activity(sandbox: Provider, ws: Client) -> None:
    data = activity_xml()
    start, end = data.index("<MedicalEducationMetrics>"), data.index("</accme:ACCMEActivities>")
    twice = data[:end] + data[start:end] + data[end:]
    response = save(ws, twice)
    assert codes(response) == ["454"]
    assert not Activity.objects.filter(provider_activity_id="addactivityexample").exists()


def test_it_answers_469_for_an_end_before_the_start(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(end="<hx:endDateTime>2026-01-29</hx:endDateTime>", claim=""))
    assert codes(response) == ["469"]


def test_it_answers_475_for_a_claim_date_before_the_end(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(claim="<ex:CreditClaimDate>2026-12-29</ex:CreditClaimDate>"))
    assert codes(response) == ["475"]


def test_it_answers_481_for_an_edit_of_a_closed_activity(sandbox: Provider, ws: Client) -> None:
    data = imu2_update(
        accme_id=accme_id("210015529"), provider_id="<lom:entry>GR-CLOSED</lom:entry>"
    )
    response = save(ws, data, reporting_year="2025")
    assert codes(response) == ["481"]


def test_it_answers_458_for_an_add_carrying_an_unknown_activity_id(
    sandbox: Provider, ws: Client
) -> None:
    assert codes(save(ws, activity_xml(accme_id=accme_id("299999999")))) == ["458"]


def test_it_answers_311_for_an_unknown_format(sandbox: Provider, ws: Client) -> None:
    assert codes(save(ws, activity_xml(format="<lom:string>Podcast</lom:string>"))) == ["311"]


def test_it_answers_315_for_a_start_date_that_is_no_date(sandbox: Provider, ws: Client) -> None:
    data = activity_xml(start="<hx:startDateTime>30.01.2026</hx:startDateTime>")
    assert "315" in codes(save(ws, data))


def test_it_reads_a_us_style_date_as_the_files_do(sandbox: Provider, ws: Client) -> None:
    data = activity_xml(start="<hx:startDateTime>01/30/2026</hx:startDateTime>")
    assert status_code(save(ws, data)) == "Accepted"
    assert stored(sandbox).start_date == date(2026, 1, 30)


def test_it_answers_468_for_credits_off_the_quarter_steps(sandbox: Provider, ws: Client) -> None:
    assert codes(
        save(ws, activity_xml(credits="<hx:numberOfCredits>2.1</hx:numberOfCredits>"))
    ) == ["468"]


def test_it_answers_456_for_an_unknown_board(sandbox: Provider, ws: Client) -> None:
    data = activity_xml().replace(
        "<ex:boardName>ABIM</ex:boardName>", "<ex:boardName>ABX</ex:boardName>"
    )
    response = save(ws, data)
    assert codes(response) == ["456"]
    assert "boardName: ABX" in messages(response)[0]


def test_it_answers_483_when_closing_an_activity_that_has_not_ended(
    sandbox: Provider, ws: Client
) -> None:
    data = activity_xml(
        start="<hx:startDateTime>2026-10-01</hx:startDateTime>",
        end="<hx:endDateTime>2026-12-31</hx:endDateTime>",
        claim="",
        close=CLOSE,
    )
    assert codes(save(ws, data, reporting_year="2026")) == ["483"]


def test_it_answers_464_for_an_update_that_moves_the_reporting_year(
    sandbox: Provider, ws: Client
) -> None:
    data = imu2_update(
        start="<hx:startDateTime>2026-01-05</hx:startDateTime>",
        end="<hx:endDateTime>2026-02-05</hx:endDateTime>",
        claim="",
    )
    assert codes(save(ws, data, reporting_year="2026")) == ["464"]


def test_it_answers_320_for_removing_a_board_that_has_learners(
    sandbox: Provider, ws: Client
) -> None:
    activity = Activity.objects.get(activity_id="210015516")
    record = CompletionRecordFactory(activity=activity, completion_date=date(2025, 7, 6))
    record.board = activity.moc_registrations.get().board
    record.save()
    data = imu2_update(format="<lom:string>Live Course</lom:string>")
    data = data.replace("<ex:boardName>ABIM</ex:boardName>", "<ex:boardName>ABA</ex:boardName>")
    data = data.replace("Medical Knowledge", "Lifelong Learning")
    data = data.replace("<hx:targetAudience>", "<hx:activityLocation><ad:City>Chicago</ad:City>"
                        "<ad:StateOrProvince>IL</ad:StateOrProvince><ad:Country>USA</ad:Country>"
                        "</hx:activityLocation><hx:targetAudience>")  # fmt: skip
    response = save(ws, data, reporting_year="2025")
    assert codes(response) == ["320"]
    assert "ABIM" in messages(response)[0]


# -- Tenancy -----------------------------------------------------------------------------------


def test_it_treats_another_providers_activity_as_unknown(sandbox: Provider, ws: Client) -> None:
    wrmc = {"accme_id": accme_id("210025501"), "provider_id": "<lom:entry>WRMC-GR</lom:entry>"}
    assert codes(save(ws, activity_xml(action=action("Update"), **wrmc))) == ["104"]
    assert codes(save(ws, activity_xml(action=action("Delete"), **wrmc))) == ["105"]
    assert codes(save(ws, activity_xml(**wrmc))) == ["458"]
    assert Activity.objects.get(activity_id="210025501").title == "WRMC Grand Rounds"


def test_it_adds_to_the_callers_provider(sandbox: Provider, ws: Client) -> None:
    response = save(ws, activity_xml(), user="ws@wrmc.org", provider_id=OTHER_PROVIDER_ID)
    assert status_code(response) == "Accepted"
    activity = Activity.objects.get(provider_activity_id="addactivityexample")
    assert activity.provider.accme_id == OTHER_PROVIDER_ID
