"""SaveLearnerActivity: one ActivityReport judged by the engine, stored as a web-service record."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from lxml import etree

from learners.models import CompletionRecord, Learner, RecordSource, RecordStatus
from portal.models import Provider
from tests.webservices.conftest import (
    LEARNER_NS,
    OTHER_PROVIDER_ID,
    SAVE_LEARNER,
    child,
    codes,
    fixture,
    messages,
    post,
    shape,
    status_code,
    submit,
    xml,
)

pytestmark = pytest.mark.django_db

CREDIT_ID = "ccid:aaatestorganization.org:v31234"


def report(**replacements: tuple[str, str]) -> str:
    """The guide's learner sample (cleaned), with literal (old, new) replacements."""
    data = fixture("learner_report.xml")
    for old, new in replacements.values():
        assert old in data, old
        data = data.replace(old, new)
    return data


def block(data: str, tag: str) -> str:
    match = re.search(rf"<{tag}>.*?</{tag}>\n", data, re.S)
    assert match, tag
    return match.group(0)


def without(tag: str) -> str:
    data = fixture("learner_report.xml")
    return data.replace(block(data, tag), "")


def doubled(tag: str) -> str:
    data = fixture("learner_report.xml")
    part = block(data, tag)
    return data.replace(part, part + part)


def save(ws: Client, data: str, **kwargs: str) -> object:
    return post(ws, SAVE_LEARNER, submit(data, namespace=LEARNER_NS, **kwargs))


def test_it_accepts_the_guides_sample_and_answers_like_the_guide(
    sandbox: Provider, ws: Client
) -> None:
    response = post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    assert response.status_code == 200, messages(response)
    expected = etree.fromstring(fixture("save_learner_activity_response.xml").encode())
    assert shape(xml(response)) == shape(expected)
    assert status_code(response) == "Accepted"
    echoed = child(xml(response), "Data").text or ""
    assert "ccid:aaatestorganization.org:v31234" in echoed
    record = CompletionRecord.objects.get(provider=sandbox, credit_id=CREDIT_ID)
    assert record.source == RecordSource.WEB_SERVICE
    assert record.status == RecordStatus.SUBMITTED  # MOC credit waits for the board
    assert record.activity.activity_id == "210015516"
    assert record.learner == Learner.objects.get(first_name="Jane", last_name="ACCME")
    assert str(record.completion_date) == "2025-07-06"


def test_it_rejects_the_same_credit_id_twice_with_603(sandbox: Provider, ws: Client) -> None:
    assert status_code(save(ws, fixture("learner_report.xml"))) == "Accepted"
    response = save(ws, fixture("learner_report.xml"))
    assert response.status_code == 200
    assert status_code(response) == "Rejected"
    assert "603" in codes(response)
    assert CompletionRecord.objects.filter(credit_id=CREDIT_ID).count() == 1


def test_it_deletes_a_record_by_its_credit_id(sandbox: Provider, ws: Client) -> None:
    save(ws, fixture("learner_report.xml"))
    delete = report(action=("<ex:learnerRecordAction>add", "<ex:learnerRecordAction>delete"))
    response = save(ws, delete)
    assert status_code(response) == "Accepted", messages(response)
    assert CompletionRecord.objects.get(credit_id=CREDIT_ID).status == RecordStatus.DELETED


def test_it_answers_605_for_a_delete_of_an_unknown_credit_id(sandbox: Provider, ws: Client) -> None:
    delete = report(action=("<ex:learnerRecordAction>add", "<ex:learnerRecordAction>delete"))
    assert "605" in codes(save(ws, delete))


def test_it_answers_the_engines_codes_for_an_unknown_learner(sandbox: Provider, ws: Client) -> None:
    data = report(name=("<n:GivenName>Jane</n:GivenName>", "<n:GivenName>Janet</n:GivenName>"))
    response = save(ws, data)
    assert status_code(response) == "Rejected"
    assert codes(response) and set(codes(response)) <= {"665", "718"}
    assert not CompletionRecord.objects.filter(credit_id=CREDIT_ID).exists()


def test_it_treats_another_providers_activity_as_unknown(sandbox: Provider, ws: Client) -> None:
    data = report(
        module=('moduleID="210015516"', 'moduleID="210025501"'),
        name=("<ar:ActivityName>210015516", "<ar:ActivityName>210025501"),
    )
    assert "690" in codes(save(ws, data))


def test_it_stores_for_the_callers_provider_only(sandbox: Provider, ws: Client) -> None:
    response = save(
        ws, fixture("learner_report.xml"), user="ws@wrmc.org", provider_id=OTHER_PROVIDER_ID
    )
    assert "690" in codes(response)  # 210015516 is AAA's
    assert not CompletionRecord.objects.exists()


def test_it_answers_453_with_http_400_for_data_that_is_not_xml(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, "<accme:ACCMELearnerReports>")
    assert response.status_code == 400
    assert codes(response) == ["453"]
    assert "not well-formed XML" in messages(response)[0]


def test_it_answers_453_for_another_document(sandbox: Provider, ws: Client) -> None:
    response = save(ws, fixture("activity_add.xml"))
    assert codes(response) == ["453"]
    assert "ACCMELearnerReports" in messages(response)[0]


def test_it_answers_738_for_two_activity_reports(sandbox: Provider, ws: Client) -> None:
    response = save(ws, doubled("ar:ActivityReport"))
    assert codes(response) == ["738"]
    assert "exactly 1 ar:ActivityReport" in messages(response)[0]
    assert not CompletionRecord.objects.exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (lambda: doubled("ar:Activity"), "738"),
        (lambda: doubled("ar:Module"), "739"),
        (lambda: without("ar:Member"), "740"),
        (lambda: without("m:Name"), "741"),
        (lambda: without("m:PersonalInfo"), "742"),
        (
            lambda: fixture("learner_report.xml").replace(
                '<m:UniqueID domain="ABIM">999902</m:UniqueID>\n', ""
            ),
            "743",
        ),
        (lambda: without("ar:XtensibleInfo"), "744"),
    ],
    ids=["738", "739", "740", "741", "742", "743", "744"],
)
def test_it_answers_the_exactly_one_codes(
    sandbox: Provider, ws: Client, data: object, code: str
) -> None:
    response = save(ws, data())  # type: ignore[operator]
    assert response.status_code == 200
    assert status_code(response) == "Rejected"
    assert code in codes(response)
    assert not CompletionRecord.objects.exists()


@pytest.mark.parametrize(
    ("line", "second", "path"),
    [
        ("<n:GivenName>Jane</n:GivenName>", "<n:GivenName>Bob</n:GivenName>", "m:Name/n:GivenName"),
        (
            "<ar:CompletedDateTime>2025-07-06</ar:CompletedDateTime>",
            "<ar:CompletedDateTime>2025-08-06</ar:CompletedDateTime>",
            "ar:CompletedDateTime",
        ),
        (
            "<hx:numberOfCredits>2</hx:numberOfCredits>",
            "<hx:numberOfCredits>5</hx:numberOfCredits>",
            "ar:CreditReceived/hx:numberOfCredits",
        ),
        (
            f"<ar:CreditID>{CREDIT_ID}</ar:CreditID>",
            "<ar:CreditID>other</ar:CreditID>",
            "ar:CreditID",
        ),
    ],
)
def test_it_refuses_a_report_giving_twice_what_a_record_holds_once(
    sandbox: Provider, ws: Client, line: str, second: str, path: str
) -> None:
    response = save(ws, report(doubled=(line, line + "\n" + second)))

    assert status_code(response) == "Rejected"
    assert codes(response) == ["998"]
    assert f"the report gives {path} more than once" in messages(response)[0]
    assert not CompletionRecord.objects.exists()


REMS_PARTICIPANTS = """<ar:Participants>
<ar:Participant>
<ar:LocalIdentifier>L-1</ar:LocalIdentifier>
<ar:Profession>Physician</ar:Profession>
<ar:PracticeArea>Pain</ar:PracticeArea>
<ar:DEARegistration>Individual</ar:DEARegistration>
<ar:StateOfPrimaryPractice>IL</ar:StateOfPrimaryPractice>
<ar:TimeInPractice>6-10 years</ar:TimeInPractice>
<ar:SurgicalProcedures>false</ar:SurgicalProcedures>
</ar:Participant>
</ar:Participants>
"""


def rems_report(participants: str) -> str:
    data = (
        without("ar:Member").replace("210015516", "210015525").replace("2025-07-06", "2026-10-01")
    )
    data = data.replace("<ar:Activity>", participants + "<ar:Activity>")
    return re.sub(r"<ar:CreditCertificate>.*</ar:CreditCertificate>\n", "", data, flags=re.S)


def test_it_answers_745_for_two_participants_nodes(sandbox: Provider, ws: Client) -> None:
    response = save(ws, rems_report(REMS_PARTICIPANTS * 2))
    assert "745" in codes(response)


def test_it_accepts_a_rems_report(sandbox: Provider, ws: Client) -> None:
    data = rems_report(REMS_PARTICIPANTS).replace(
        "<ar:Status>",
        "<ar:CreditCertificate><ar:CreditID>rems-1</ar:CreditID></ar:CreditCertificate><ar:Status>",
    )
    response = save(ws, data)
    assert status_code(response) == "Accepted", messages(response)
    record = CompletionRecord.objects.get(credit_id="rems-1")
    assert record.rems_profession == "Physician"
