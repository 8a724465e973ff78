"""GetActivity: search the caller's activities, answer ACCMEActivities v3 in a SearchResult."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from lxml import etree

from activities.inputs import MocInput
from activities.services import activity_submit
from activities.xml import read_metrics
from portal.models import Provider
from tests.activities.makers import good_activity
from tests.webservices.conftest import (
    ACTIVITY_NS,
    GET_ACTIVITY,
    PASSWORD,
    PROVIDER_ID,
    SAVE_ACTIVITY,
    USER,
    XSI_NS,
    child,
    envelope,
    fixture,
    messages,
    parse_data,
    post,
    shape,
    xml,
)

pytestmark = pytest.mark.django_db

LOM = "http://ltsc.ieee.org/xsd/LOM"
METRICS = "http://ns.medbiq.org/metrics/v2/"
EX = "http://www.accme.org/ACCMEActivityExtension/v3"
TODAY = date(2026, 11, 22)


def search(ws: Client, **criteria: str) -> object:
    fields = {
        "ActivityID": criteria.get("ActivityID"),
        "ActivityStartDate": criteria.get("ActivityStartDate"),
        "ActivityTypeName": criteria.get("ActivityTypeName"),
        "Password": PASSWORD,
        "ProviderActivityId": criteria.get("ProviderActivityId"),
        "ProviderId": PROVIDER_ID,
        "SchemaVersion": criteria.get("SchemaVersion", "3"),
        "User": USER,
    }
    return post(ws, GET_ACTIVITY, envelope("SearchCriteria", ACTIVITY_NS, fields))


def activity_ids(response: object) -> list[str]:
    root = parse_data(response)
    return [
        identifier.findtext(f"{{{LOM}}}entry") or ""
        for identifier in root.iter(f"{{{LOM}}}identifier")
        if identifier.findtext(f"{{{LOM}}}catalog") == "ACCME Activity ID"
    ]


def test_it_finds_the_guides_sample_activity_after_saving_it(sandbox: Provider, ws: Client) -> None:
    # The guide's sample is of 2021, a reporting year open until 31 March 2023.
    with time_machine.travel(datetime(2022, 6, 1, 10, tzinfo=ZoneInfo("America/Chicago"))):
        saved = post(ws, SAVE_ACTIVITY, fixture("save_activity_request.xml"))
        assert child(xml(saved), "StatusCode").text == "Accepted", messages(saved)
        response = post(ws, GET_ACTIVITY, fixture("get_activity_request.xml"))
    assert response.status_code == 200
    expected = etree.fromstring(fixture("get_activity_response.xml").encode())
    assert shape(xml(response)) == shape(expected)
    root = parse_data(response)
    assert etree.QName(root).localname == "ACCMEActivities"
    assert root.findtext(f".//{{{LOM}}}title/{{{LOM}}}string") == "Internal Medicine Manuscript"
    assert root.findtext(".//{http://ns.medbiq.org/lom/extend/v1/}startDateTime") == "2021-01-30"
    assert root.findtext(".//{http://www.accme.org/ACCMEActivityExtension/v3}mocPoints") == "2.00"
    assert len(activity_ids(response)) == 1


def test_it_finds_an_activity_by_its_id(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ActivityID="210015516")
    assert activity_ids(response) == ["210015516"]
    credits = parse_data(response).findtext(
        ".//{http://ns.medbiq.org/lom/extend/v1/}numberOfCredits"
    )
    assert credits == "10.00"


def test_it_finds_activities_by_start_date_and_type(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ActivityStartDate="2025-03-01", ActivityTypeName="Live Course")
    assert activity_ids(response) == ["210015516", "210015519"]


def test_it_accepts_a_start_date_with_a_time(sandbox: Provider, ws: Client) -> None:
    response = search(
        ws, ActivityStartDate="2025-03-01T00:00:00", ActivityTypeName="Regularly Scheduled Series"
    )
    assert activity_ids(response) == ["210015529"]


def test_it_answers_nil_data_when_nothing_matches(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ProviderActivityId="no-such-activity")
    assert response.status_code == 200
    assert child(xml(response), "Data").get(f"{{{XSI_NS}}}nil") == "true"


def test_it_finds_a_provider_activity_id_in_any_case(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ProviderActivityId="imu-2")
    assert response.status_code == 200
    assert b"210015516" in response.content  # IMU-2


def test_it_never_answers_another_providers_activity(sandbox: Provider, ws: Client) -> None:
    for criteria in ({"ActivityID": "210025501"}, {"ProviderActivityId": "WRMC-GR"}):
        response = search(ws, **criteria)
        assert child(xml(response), "Data").get(f"{{{XSI_NS}}}nil") == "true"


def test_it_needs_at_least_one_criterion(sandbox: Provider, ws: Client) -> None:
    response = search(ws)
    assert response.status_code == 400
    assert "at least one of ActivityID, ActivityStartDate" in messages(response)[0]


@pytest.mark.parametrize("version", ["", "2"])
def test_it_needs_schema_version_3(sandbox: Provider, ws: Client, version: str) -> None:
    response = search(ws, ActivityID="210015516", SchemaVersion=version)
    assert response.status_code == 400
    assert "SchemaVersion must be 3" in messages(response)[0]


def test_it_names_the_activity_types_for_an_unknown_one(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ActivityTypeName="Podcast")
    assert response.status_code == 400
    assert "'Podcast' is not an activity type" in messages(response)[0]
    assert "Journal-based CE" in messages(response)[0]


def test_it_refuses_an_activity_id_that_is_not_a_number(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ActivityID="21001551x")
    assert response.status_code == 400
    assert "'ActivityID' must be a whole number" in messages(response)[0]


def test_it_renders_one_metrics_element_per_activity(sandbox: Provider, ws: Client) -> None:
    response = search(ws, ActivityTypeName="Internet Enduring Material")
    metrics = parse_data(response).findall(f"{{{METRICS}}}MedicalEducationMetrics")
    assert len(metrics) == 2  # ANES-PS and REMS-OA


def test_it_answers_everything_the_portal_keeps(sandbox: Provider, ws: Client) -> None:
    item = dataclasses.replace(
        good_activity(),
        provider_activity_id="FULL-1",
        end_date="2026-06-30",
        credit_claim_date="2026-09-30",
        url="https://learning.example.org/full",
        providership="joint",
        joint_providers=("Lakeshore Society",),
        specialties=("Cardiology", "Hematology"),
        rems="yes",
        status="closed",
        commercial_support="yes",
        physicians="120",
        other_learners="14",
        moc=(
            MocInput("ABIM", "6", ("Medical Knowledge",)),
            MocInput("ABPath", "2", ("Lifelong Learning",), "Cytopathology"),
        ),
    )
    stored = activity_submit(provider=sandbox, item=item, today=TODAY)
    assert stored.accepted, stored.errors

    response = search(ws, ProviderActivityId="FULL-1")
    root = parse_data(response)
    read = read_metrics(root, root[0]).input
    assert (read.title, read.description, read.url) == (item.title, item.description, item.url)
    assert (read.start_date, read.end_date, read.credit_claim_date) == (
        "2026-03-01", "2026-06-30", "2026-09-30",
    )  # fmt: skip
    assert (read.ama_credits, read.format_name) == ("10.00", "Live Course")
    assert (read.city, read.state, read.country) == ("Chicago", "IL", "USA")
    assert (read.providership, read.joint_providers) == ("joint", ("Lakeshore Society",))
    assert (read.commercial_support, read.physicians, read.other_learners) == ("yes", "120", "14")
    assert read.specialties == ("Cardiology", "Hematology")
    assert read.rems == "Opioid Analgesic REMS"
    assert read.moc == (
        MocInput("ABIM", "6.00", ("Medical Knowledge",)),
        MocInput("ABPath", "2.00", ("Lifelong Learning",), "Cytopathology"),
    )
    assert root.findtext(f".//{{{EX}}}ActivityStatus") == "Closed"
    assert root.findtext(f".//{{{EX}}}closeActivityRecord") == "true"
    categories = {
        e.get("category"): e.text for e in root.iter(f"{{{METRICS}}}ParticipantsByCategory")
    }
    assert categories == {"physician": "120", "non-physician": "14"}
