"""GetLearnerStatusByCreditId and GetLearnerStatusByLearner: the caller's records, as PARS lists them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from lxml import etree

from activities.models import Activity
from learners.models import Learner, RecordStatus
from portal.models import Provider
from tests.factories import CompletionRecordFactory
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    BY_LEARNER,
    LEARNER_NS,
    OTHER_PROVIDER_ID,
    SAVE_LEARNER,
    codes,
    fixture,
    messages,
    post,
    shape,
    status_code,
    xml,
)

pytestmark = pytest.mark.django_db

CREDIT_ID = "ccid:aaatestorganization.org:v31234"
LINE = re.compile(
    r"Activity Id: (\d{9}); Submission Date: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M; Learner Id: (\d*)"
)


def lines(response: object) -> list[tuple[str, str, str]]:
    """(activity id, learner id, status) per ResponseMessage."""
    root = xml(response)
    assert root.tag == f"{{{LEARNER_NS}}}ArrayOfResponseMessage"
    found = []
    for message in root:
        match = LINE.fullmatch(message.findtext(f"{{{LEARNER_NS}}}Data") or "")
        assert match, message.findtext(f"{{{LEARNER_NS}}}Data")
        found.append((match[1], match[2], message.findtext(f"{{{LEARNER_NS}}}StatusCode") or ""))
    return found


def by_credit_id(ws: Client, credit_id: str = CREDIT_ID, **swap: str) -> object:
    body = fixture("status_by_credit_id_request.xml").replace(CREDIT_ID, credit_id)
    for old, new in swap.items():
        body = body.replace(old, new)
    return post(ws, BY_CREDIT_ID, body)


def jane() -> Learner:
    return Learner.objects.get(first_name="Jane", last_name="ACCME")


def test_it_answers_a_saved_record_like_the_guide(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    response = by_credit_id(ws)
    assert response.status_code == 200
    expected = etree.fromstring(fixture("status_response.xml").encode())
    assert shape(xml(response)) == shape(expected)
    assert lines(response) == [("210015516", str(jane().pk), "Pending")]


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (RecordStatus.ACCEPTED, "Accepted"),
        (RecordStatus.SUBMITTED, "Pending"),
        (RecordStatus.TRANSMITTED, "Pending"),
        (RecordStatus.APPROVED, "Accepted"),
        (RecordStatus.REJECTED, "Rejected"),
        (RecordStatus.DELETED, "Deleted"),
    ],
)
def test_it_maps_record_statuses_to_pars_status_codes(
    sandbox: Provider, ws: Client, status: str, answer: str
) -> None:
    activity = Activity.objects.get(activity_id="210015527")
    CompletionRecordFactory(activity=activity, learner=jane(), credit_id="c-1", status=status)
    assert lines(by_credit_id(ws, "c-1")) == [("210015527", str(jane().pk), answer)]


def test_it_lists_a_boards_rejection_codes(sandbox: Provider, ws: Client) -> None:
    activity = Activity.objects.get(activity_id="210015516")
    CompletionRecordFactory(
        activity=activity, credit_id="c-2", status=RecordStatus.REJECTED, board_codes=["664"]
    )
    response = by_credit_id(ws, "c-2")
    assert status_code(response) == "Rejected"
    assert codes(response) == ["664"]
    assert "does not match" in messages(response)[0]


def test_it_answers_an_empty_array_for_an_unknown_credit_id(sandbox: Provider, ws: Client) -> None:
    response = by_credit_id(ws, "ccid:nobody")
    assert response.status_code == 200
    assert len(xml(response)) == 0


def test_it_never_shows_another_providers_record(sandbox: Provider, ws: Client) -> None:
    wrmc_activity = Activity.objects.get(activity_id="210025501")
    CompletionRecordFactory(activity=wrmc_activity, credit_id=CREDIT_ID)
    assert lines(by_credit_id(ws)) == []
    as_wrmc = by_credit_id(
        ws,
        **{
            "ws@aaa-test.org": "ws@wrmc.org",
            "<ProviderId>0001234": f"<ProviderId>{OTHER_PROVIDER_ID}",
        },
    )
    assert lines(as_wrmc) == [("210025501", lines(as_wrmc)[0][1], "Accepted")]


def test_it_finds_a_learners_record_by_board_id(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    response = post(ws, BY_LEARNER, fixture("status_by_learner_request.xml"))
    assert response.status_code == 200
    assert lines(response) == [("210015516", str(jane().pk), "Pending")]


def test_it_finds_a_learners_record_by_licence_id(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    body = fixture("status_by_learner_request.xml").replace(">999902<", ">036999902<")
    assert len(lines(post(ws, BY_LEARNER, body))) == 1


def test_it_finds_a_learners_record_by_me_number(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    Learner.objects.filter(pk=jane().pk).update(me_number="0123456789")
    body = fixture("status_by_learner_request.xml").replace(">999902<", ">0123456789<")
    assert len(lines(post(ws, BY_LEARNER, body))) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<BirthDay>30</BirthDay>", "<BirthDay>31</BirthDay>"),
        (
            "<CompletionDate>2025-07-06</CompletionDate>",
            "<CompletionDate>2025-07-07</CompletionDate>",
        ),
        ("<ActivityId>210015516</ActivityId>", "<ActivityId>210015517</ActivityId>"),
        ("<UniqueId>999902</UniqueId>", "<UniqueId>999903</UniqueId>"),
    ],
)
def test_it_needs_every_fact_to_match(sandbox: Provider, ws: Client, old: str, new: str) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    body = fixture("status_by_learner_request.xml").replace(old, new)
    assert lines(post(ws, BY_LEARNER, body)) == []


def test_it_finds_no_record_of_another_provider_by_learner(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    body = (
        fixture("status_by_learner_request.xml")
        .replace("ws@aaa-test.org", "ws@wrmc.org")
        .replace("<ProviderId>0001234", f"<ProviderId>{OTHER_PROVIDER_ID}")
    )
    assert lines(post(ws, BY_LEARNER, body)) == []


def test_it_names_every_missing_search_element(sandbox: Provider, ws: Client) -> None:
    body = (
        fixture("status_by_learner_request.xml")
        .replace("<ActivityId>210015516</ActivityId>", "")
        .replace("<CompletionDate>2025-07-06</CompletionDate>", "")
    )
    response = post(ws, BY_LEARNER, body)
    assert response.status_code == 400
    assert "missing the element(s) ActivityId, CompletionDate" in messages(response)[0]


def test_it_keeps_the_date_of_a_completion_date_with_a_time(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    body = fixture("status_by_learner_request.xml").replace("2025-07-06<", "2025-07-06T00:00:00<")
    assert len(lines(post(ws, BY_LEARNER, body))) == 1
    assert date(2025, 7, 6)  # the record's completion date
