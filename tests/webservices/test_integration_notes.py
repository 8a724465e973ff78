"""The integration notes run as written against the portal, but for base URL and credentials.

Every request of reference/integrator-notes.txt is sent with its real bytes through the real URLs
and gets the answer the notes expect: LearnerMatchRequest an integer, SaveLearnerActivity
`Accepted`, GetLearnerStatusByCreditId a status, SaveActivity `Accepted`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from lxml import etree

from activities.models import Activity
from learners.formats.legacy import LEGACY_NS
from learners.models import CompletionRecord, RecordSource, RecordStatus
from learners.sandbox import seed_sandbox
from portal.models import Provider
from tests.webservices.conftest import (
    ACTIVITY_NS,
    XML,
    child,
    codes,
    envelope,
    messages,
    status_code,
    xml,
)
from tests.webservices.notes import (
    AMC_ID,
    AMC_STAFF,
    BY_CREDIT_ID,
    GET_ACTIVITY,
    LEARNER_MATCH_REQUEST,
    NOTES_NOW,
    PROVIDER_ACTIVITY_ID,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    basic_auth,
    create_account,
    notes_request,
)

pytestmark = pytest.mark.django_db

LMS_USER = "lms@amc-test.org"
LOM = "http://ltsc.ieee.org/xsd/LOM"


@pytest.fixture(autouse=True)
def frozen_today() -> Any:
    """The notes' day: their activity runs through 2026, their learner completed on 05/06."""
    with time_machine.travel(NOTES_NOW, tick=True):
        yield


@pytest.fixture
def amc(db: None) -> Provider:
    seed_sandbox(today=date(2026, 11, 30))
    return Provider.objects.get(accme_id=AMC_ID)


@pytest.fixture
def password(amc: Provider) -> str:
    """The AMC's staff create the web-service account in the portal (step 1 of the notes)."""
    staff = Client()
    staff.force_login(get_user_model().objects.get(username=AMC_STAFF))
    return create_account(staff, LMS_USER)


def send(path: str, body: bytes, *, basic: tuple[str, str] | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": basic_auth(*basic)} if basic else {}
    return Client().post(path, data=body, content_type=XML, **headers)


def save_activity(password: str) -> Any:
    return send(SAVE_ACTIVITY, notes_request("save_activity.xml", user=LMS_USER, password=password))


def credit_id_of(response: Any) -> str:
    data = etree.fromstring((child(xml(response), "Data").text or "").encode())
    return data.findtext(f".//{{{LEGACY_NS}}}CreditID") or ""


def test_it_runs_the_integration_notes_as_written(amc: Provider, password: str) -> None:
    credentials = (LMS_USER, password)

    # SaveActivity: the course is registered; the answer carries its ACCME Activity ID.
    response = save_activity(password)
    assert (response.status_code, status_code(response)) == (200, "Accepted"), messages(response)
    data = etree.fromstring((child(xml(response), "Data").text or "").encode())
    ids = {i.findtext(f"{{{LOM}}}catalog"): i.findtext(f"{{{LOM}}}entry") for i in data.iter(f"{{{LOM}}}identifier")}  # fmt: skip
    activity = Activity.objects.get(provider=amc, provider_activity_id=PROVIDER_ACTIVITY_ID)
    assert ids["ACCME Activity ID"] == activity.activity_id
    assert (activity.title, activity.reporting_year) == ("HIPAA Privacy and Security for Physicians", 2026)  # fmt: skip
    assert (activity.start_date, activity.end_date) == (date(2026, 1, 1), date(2026, 12, 31))

    # GetActivity by the Provider Activity ID (the notes give no payload: the guide's envelope).
    search = envelope(
        "SearchCriteria",
        ACTIVITY_NS,
        {"ProviderActivityId": PROVIDER_ACTIVITY_ID, "ProviderId": AMC_ID, "SchemaVersion": "3"},
    )
    response = send(GET_ACTIVITY, search.encode(), basic=credentials)
    assert response.status_code == 200, messages(response)
    assert f"<lom:entry>{activity.activity_id}</lom:entry>" in (
        child(xml(response), "Data").text or ""
    )

    # LearnerMatchRequest with Basic Auth: a single integer, 1 (James Holloway is one physician).
    body = notes_request("learner_match_request.xml", user=LMS_USER, password=password)
    response = send(LEARNER_MATCH_REQUEST, body, basic=credentials)
    assert response.status_code == 200, messages(response)
    assert child(xml(response), "MatchedLearnerCount").text == "1"

    # SaveLearnerActivity, same credentials: Accepted, with the Credit ID to store.
    body = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    response = send(SAVE_LEARNER, body, basic=credentials)
    assert (response.status_code, status_code(response)) == (200, "Accepted"), messages(response)
    credit_id = credit_id_of(response)
    record = CompletionRecord.objects.get(provider=amc, credit_id=credit_id)
    assert record.activity == activity
    assert (record.learner.first_name, record.learner.last_name) == ("James", "Holloway")
    assert (record.completion_date, str(record.ama_credits)) == (date(2026, 5, 6), "1.00")
    assert (record.source, record.status) == (RecordSource.WEB_SERVICE, RecordStatus.ACCEPTED)

    # GetLearnerStatusByCreditId with the credit ID from the previous step: a status.
    search = envelope(
        "LearnerStatusSearchByCreditId", ACTIVITY_NS, {"CreditId": credit_id, "ProviderId": AMC_ID}
    )
    response = send(BY_CREDIT_ID, search.encode(), basic=credentials)
    assert response.status_code == 200, messages(response)
    assert status_code(response) == "Accepted"  # CME credit: done, nothing waits for a board
    assert f"Activity Id: {activity.activity_id}" in (xml(response)[0][0].text or "")


def test_it_says_what_pars_would_not_read_in_the_notes(amc: Provider, password: str) -> None:
    response = save_activity(password)
    warning = response["Warning"]
    assert "would ignore Password, ProviderId, ReportingYear, Data as sent here" in warning
    assert "Data holds XML elements" in warning

    body = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    warning = send(SAVE_LEARNER, body)["Warning"]
    assert "AccmeActivityID '12345678' is not an ACCME Activity ID (9 digits)" in warning
    assert "MedicalEducationNumber 1234567890 is not a valid NPI" in warning
    assert "it was given Credit ID pars-portal:" in warning


def test_it_runs_the_notes_with_the_envelope_credentials_alone(
    amc: Provider, password: str
) -> None:
    save_activity(password)
    for name, path in (
        ("learner_match_request.xml", LEARNER_MATCH_REQUEST),
        ("save_learner_activity.xml", SAVE_LEARNER),
    ):
        response = send(path, notes_request(name, user=LMS_USER, password=password))
        assert response.status_code == 200, messages(response)
    assert status_code(response) == "Accepted", messages(response)


def test_it_rejects_the_notes_learner_again_as_a_duplicate(amc: Provider, password: str) -> None:
    save_activity(password)
    body = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    assert status_code(send(SAVE_LEARNER, body)) == "Accepted"

    response = send(SAVE_LEARNER, body)  # a new Credit ID, the same completion
    assert status_code(response) == "Rejected"
    assert codes(response) == ["709"]
    assert CompletionRecord.objects.filter(provider=amc).count() == 1


def test_it_rejects_the_notes_learner_before_the_activity_is_registered(
    amc: Provider, password: str
) -> None:
    body = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    response = send(SAVE_LEARNER, body)
    assert status_code(response) == "Rejected"
    assert codes(response) == ["690"]
    assert "ProviderActivityID 'AMC-HIPAA-2025-V4' names no activity" in messages(response)[0]


def test_it_answers_the_notes_save_activity_again_with_a_duplicate_id(
    amc: Provider, password: str
) -> None:
    assert status_code(save_activity(password)) == "Accepted"
    response = save_activity(password)
    assert status_code(response) == "Rejected"
    assert "103" in codes(response)
