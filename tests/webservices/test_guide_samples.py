"""The web services guide's sample requests, replayed: each is answered in the guide's shape.

The samples are transcribed from reference/pars-web-services-guide.txt (its OCR slips mended:
`&1t;` is `&lt;`, `Learnerld` is `LearnerId`), with the sandbox's credentials and, where the
guide's ids name nothing in the sandbox, the sandbox's activity and physician; the Learner Match
and status-by-learner samples keep the guide's own values and order.
"""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import time_machine
from django.test import Client
from lxml import etree

from portal.models import Provider
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    BY_LEARNER,
    GET_ACTIVITY,
    GUIDE_YEAR_OPEN,
    LEARNER_MATCH,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    child,
    fixture,
    messages,
    post,
    shape,
    status_code,
    xml,
)

pytestmark = pytest.mark.django_db

# (request, path, the guide's response), in the order an integrator meets them.
SAMPLES = [
    ("save_activity_request.xml", SAVE_ACTIVITY, "save_activity_response.xml"),
    ("get_activity_request.xml", GET_ACTIVITY, "get_activity_response.xml"),
    ("save_learner_activity_request.xml", SAVE_LEARNER, "save_learner_activity_response.xml"),
    ("status_by_credit_id_request.xml", BY_CREDIT_ID, "status_response.xml"),
    ("status_by_learner_request.xml", BY_LEARNER, "status_response.xml"),
    ("guide_learner_match_request.xml", LEARNER_MATCH, "learner_match_response.xml"),
]


def expected(name: str) -> tuple:
    return shape(etree.fromstring(fixture(name).encode()))


def test_it_answers_each_of_the_guides_samples_in_the_guides_shape(
    sandbox: Provider, ws: Client
) -> None:
    for request, path, response_name in SAMPLES:
        # The activity samples are of 2021: replayed while that reporting year was open.
        moment = GUIDE_YEAR_OPEN if path in (SAVE_ACTIVITY, GET_ACTIVITY) else None
        with time_machine.travel(moment) if moment else nullcontext():
            response = post(ws, path, fixture(request))
        assert response.status_code == 200, (request, messages(response))
        assert shape(xml(response)) == expected(response_name), request


def test_it_answers_the_guides_learner_match_sample_with_zero(
    sandbox: Provider, ws: Client
) -> None:
    # Helen Markman, NPI 1234567890 (no valid NPI) is nobody in the sandbox: 0, never a 400.
    response = post(ws, LEARNER_MATCH, fixture("guide_learner_match_request.xml"))
    assert response.status_code == 200
    assert child(xml(response), "MatchedLearnerCount").text == "0"
    assert "NPI '1234567890' is not a valid NPI" in response["Warning"]


def test_it_answers_february_31_with_zero(sandbox: Provider, ws: Client) -> None:
    body = fixture("learner_match_request.xml").replace(
        "<BirthDay>30</BirthDay>\n<BirthMonth>10</BirthMonth>",
        "<BirthDay>31</BirthDay>\n<BirthMonth>2</BirthMonth>",
    )
    response = post(ws, LEARNER_MATCH, body)
    assert response.status_code == 200
    assert child(xml(response), "MatchedLearnerCount").text == "0"


def test_it_reads_the_guides_status_sample_in_the_guides_own_order(
    sandbox: Provider, ws: Client
) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    # As the guide prints it: UniqueId before Password, which PARS itself would not read.
    body = (
        fixture("status_by_learner_request.xml")
        .replace("<UniqueId>999902</UniqueId>\n", "")
        .replace("<Password>", "<UniqueId>999902</UniqueId>\n<Password>")
    )
    response = post(ws, BY_LEARNER, body)
    assert shape(xml(response)) == expected("status_response.xml")
    assert status_code(response) == "Pending"
    assert "would ignore Password, ProviderId as sent here" in response["Warning"]
