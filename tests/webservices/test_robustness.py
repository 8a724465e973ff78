"""Whatever arrives, the answer is XML with a 4xx or a judged record: never a server error."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import Provider
from tests.webservices.conftest import (
    ACTIVITY_NS,
    ALL_PATHS,
    LEARNER_NS,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    fixture,
    post,
    status_code,
    submit,
)

pytestmark = pytest.mark.django_db


def nasty_data() -> list[str]:
    activity, learner = fixture("activity_add.xml"), fixture("learner_report.xml")
    return [
        "<?xml version='1.0' encoding='utf-16'?><a/>",
        "<a>" * 5000,
        activity.replace("<ex:mocPoints>2.0<", "<ex:mocPoints>99999999999999999999<"),
        activity.replace("<hx:numberOfCredits>28<", "<hx:numberOfCredits>1e400<"),
        activity.replace("2021-", "9999-"),
        activity.replace("addactivityexample", "x" * 300),
        activity.replace("Internal Medicine Manuscript", "t" * 600),
        learner.replace("2025-07-06", "0000-00-00"),
        learner.replace("1904-10-30", "1904-13-45"),
        learner.replace("210015516", "9" * 40),
        learner.replace("ccid:aaatestorganization.org:v31234", "c" * 400),
        learner.replace("Jane", "J" * 300),
    ]


@pytest.mark.parametrize("data", nasty_data())
@pytest.mark.parametrize(
    ("namespace", "path", "year"),
    [(ACTIVITY_NS, SAVE_ACTIVITY, "2021"), (LEARNER_NS, SAVE_LEARNER, "2025")],
    ids=["activity", "learner"],
)
def test_it_rejects_strange_data_without_failing(
    sandbox: Provider, ws: Client, data: str, namespace: str, path: str, year: str
) -> None:
    response = post(ws, path, submit(data, namespace=namespace, reporting_year=year))
    assert response.status_code in (200, 400)
    assert status_code(response) == "Rejected"


def nasty_bodies() -> list[str]:
    return [
        "x",
        "\xff\xfe<a/>",
        fixture("status_by_learner_request.xml").replace("<ActivityId>210015516", "<ActivityId>-1"),
        fixture("learner_match_request.xml").replace("<BoardIds>", "<BoardIds><Foo/>"),
    ]


@pytest.mark.parametrize("body", nasty_bodies())
@pytest.mark.parametrize("path", ALL_PATHS)
def test_it_answers_strange_envelopes_with_a_4xx_or_a_result(
    sandbox: Provider, ws: Client, body: str, path: str
) -> None:
    response = post(ws, path, body)
    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
