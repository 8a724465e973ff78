"""SaveLearnerActivity with a legacy ACCMELearnerRecords v1 record: read into the same engine."""

from __future__ import annotations

from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import pytest
from django.test import Client

from learners.engine.npi import make_npi
from learners.formats.legacy import LEGACY_NS
from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider
from tests.webservices.conftest import (
    LEARNER_NS,
    SAVE_LEARNER,
    child,
    codes,
    messages,
    post,
    status_code,
    submit,
    xml,
)

pytestmark = pytest.mark.django_db

ACTIVITY = "210015516"  # Internal Medicine Update 2 (ABIM), 1 March to 30 November 2025
PROVIDER_ACTIVITY_ID = "IMU-2"


def record(**values: str) -> str:
    fields = {
        "FirstName": "Jane",
        "LastName": "ACCME",
        "DateOfBirth": "1904-10-30",
        "MedicalEducationNumber": make_npi("199999902"),
        "ProviderID": "0001234",
        "ProviderActivityID": PROVIDER_ACTIVITY_ID,
        "AccmeActivityID": ACTIVITY,
        "CompletedDateTime": "2025-07-06",
        **values,
    }
    credits = fields.pop(
        "Credits",
        "<ar:Credit><ar:CreditType>AMA PRA Category 1 Credit</ar:CreditType><ar:CreditAmount>2</ar:CreditAmount></ar:Credit>",
    )
    inner = "".join(f"<ar:{k}>{escape(v)}</ar:{k}>" for k, v in fields.items() if v is not None)
    return (
        f'<ar:ACCMELearnerRecords xmlns:ar="{LEGACY_NS}"><ar:LearnerRecord>{inner}'
        f"<ar:Credits>{credits}</ar:Credits></ar:LearnerRecord></ar:ACCMELearnerRecords>"
    )


def save(ws: Client, data: str) -> Any:
    return post(ws, SAVE_LEARNER, submit(data, namespace=LEARNER_NS, reporting_year=None))


def test_it_stores_a_legacy_record_through_the_engine(sandbox: Provider, ws: Client) -> None:
    response = save(ws, record())
    assert (response.status_code, status_code(response)) == (200, "Accepted"), messages(response)
    stored = CompletionRecord.objects.get(provider=sandbox)
    assert stored.activity.activity_id == ACTIVITY
    assert (stored.learner.last_name, stored.completion_date) == ("ACCME", date(2025, 7, 6))
    assert stored.credit_id.startswith("pars-portal:")
    assert stored.credit_id in (child(xml(response), "Data").text or "")


def test_it_keeps_the_credit_id_a_record_gives(sandbox: Provider, ws: Client) -> None:
    response = save(ws, record(CreditID="lms:42"))
    assert status_code(response) == "Accepted", messages(response)
    assert CompletionRecord.objects.get(provider=sandbox).credit_id == "lms:42"
    assert "Credit ID pars-portal" not in response.get("Warning", "")


def test_it_takes_moc_credit_of_a_legacy_record(sandbox: Provider, ws: Client) -> None:
    credits = (
        "<ar:Credit><ar:CreditType>ABIM Medical Knowledge</ar:CreditType>"
        "<ar:CreditAmount>1.5</ar:CreditAmount></ar:Credit>"
    )
    # No board id element in v1: the engine asks for one (621), as for a file row.
    response = save(ws, record(Credits=credits))
    assert status_code(response) == "Rejected"
    assert "621" in codes(response)


@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        (
            {"AccmeActivityID": "210015517"},
            "690",
            "name different activities: 'IMU-2' is ACCME Activity ID 210015516",
        ),
        ({"ProviderActivityID": "NOPE"}, "690", "ProviderActivityID 'NOPE' names no activity"),
        (
            {"ProviderActivityID": "WRMC-GR", "AccmeActivityID": ""},
            "690",
            "names no activity",
        ),  # another provider's
        ({"ProviderID": "0005678"}, "451", "the record's ProviderID 0005678 is not the provider"),
        ({"DateOfBirth": "1904-10-31"}, "718", "Unable to match a learner"),
        (
            {"MedicalEducationNumber": "99999999999"},
            "718",
            "ME number 99999999999 is not in the directory",
        ),
        (
            {"MedicalEducationNumber": "1234567890"},  # James Holloway's, not Jane's
            "718",
            "the name or date of birth does not match ME number 1234567890",
        ),
        ({"CompletedDateTime": "2031-01-01"}, "750", "in the future"),
    ],
)
def test_it_rejects_a_legacy_record_with_the_engines_codes(
    sandbox: Provider, ws: Client, values: dict[str, str], code: str, message: str
) -> None:
    response = save(ws, record(**values))
    assert status_code(response) == "Rejected"
    assert code in codes(response)
    assert any(message in m for m in messages(response)), messages(response)
    assert not CompletionRecord.objects.exists()


def _credit(credit_type: str, amount: str) -> str:
    return (
        f"<ar:Credit><ar:CreditType>{credit_type}</ar:CreditType>"
        f"<ar:CreditAmount>{amount}</ar:CreditAmount></ar:Credit>"
    )


@pytest.mark.parametrize(
    "credits",
    [
        [("AMA PRA Category 1 Credit", "1"), ("AMA PRA Category 1 Credit", "4.5")],
        [("AMA PRA Category 1 Credit", "4.5"), ("AMA PRA Category 1 Credit(s)™", "1")],
        [("ABIM Medical Knowledge", "1"), ("abim medical knowledge", "2")],
    ],
)
def test_it_refuses_a_legacy_record_giving_a_credit_type_twice_as_v3_does(
    sandbox: Provider, ws: Client, credits: list[tuple[str, str]]
) -> None:
    response = save(ws, record(Credits="".join(_credit(t, a) for t, a in credits)))

    assert status_code(response) == "Rejected"
    assert "678" in codes(response)
    assert any(f"'{credits[1][0]}' allowed once" in m for m in messages(response))
    assert not CompletionRecord.objects.exists()


def test_it_takes_an_accme_activity_id_without_a_provider_activity_id(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, record(ProviderActivityID=""))
    assert status_code(response) == "Accepted", messages(response)


def test_it_finds_the_provider_activity_id_in_any_case(sandbox: Provider, ws: Client) -> None:
    response = save(ws, record(ProviderActivityID="imu-2", AccmeActivityID=""))
    assert status_code(response) == "Accepted", messages(response)
    assert CompletionRecord.objects.get(provider=sandbox).activity.activity_id == ACTIVITY


def test_it_matches_the_notes_physician_by_his_me_number(sandbox: Provider, ws: Client) -> None:
    data = record(
        FirstName="James",
        LastName="Holloway",
        DateOfBirth="1975-03-22",
        MedicalEducationNumber="1234567890",
        ProviderActivityID="PC-ESS",
        AccmeActivityID="",
        CompletedDateTime="2026-10-01",
    )
    response = save(ws, data)
    assert status_code(response) == "Accepted", messages(response)
    stored = CompletionRecord.objects.get(provider=sandbox)
    assert (stored.learner.me_number, stored.status) == ("1234567890", RecordStatus.ACCEPTED)


def test_it_takes_one_record_per_call(sandbox: Provider, ws: Client) -> None:
    one = record()
    two = one.replace(
        "</ar:LearnerRecord>",
        "</ar:LearnerRecord><ar:LearnerRecord><ar:FirstName>X</ar:FirstName></ar:LearnerRecord>",
        1,
    )
    response = save(ws, two)
    assert status_code(response) == "Rejected"
    assert codes(response) == ["738"]
    assert "exactly 1 ar:LearnerRecord; this Data holds 2" in messages(response)[0]


def test_it_refuses_an_unknown_element_of_a_record_with_400(sandbox: Provider, ws: Client) -> None:
    response = save(ws, record(Nickname="Jay"))
    assert response.status_code == 400
    assert codes(response) == ["453"]
    assert "<ar:Nickname> is not an element of ar:LearnerRecord" in messages(response)[0]
