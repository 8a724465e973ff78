"""GetLearnerMatch: how many directory learners fit the identity sent (1 = safe to submit)."""

from __future__ import annotations

import pytest
from django.test import Client
from lxml import etree

from learners.sandbox import physician_specs
from portal.models import Provider
from tests.webservices.conftest import (
    LEARNER_MATCH,
    LEARNER_NS,
    PASSWORD,
    USER,
    child,
    envelope,
    fixture,
    messages,
    post,
    shape,
    xml,
)

pytestmark = pytest.mark.django_db

FIELDS = (
    "BirthDay", "BirthMonth", "FirstName", "LastName", "LicenseId", "MedicalSchoolName", "Npi",
    "Password", "StateName", "User",
)  # fmt: skip


def match(ws: Client, **values: str) -> object:
    fields = {name: values.get(name) for name in FIELDS}
    fields.update(Password=PASSWORD, User=USER)
    return post(ws, LEARNER_MATCH, envelope("LearnerMatchRequest", LEARNER_NS, fields))


def count(response: object) -> int:
    assert response.status_code == 200, messages(response)  # type: ignore[attr-defined]
    return int(child(xml(response), "MatchedLearnerCount").text or "")


def test_it_matches_the_guides_sample_once_and_answers_like_the_guide(
    sandbox: Provider, ws: Client
) -> None:
    response = post(ws, LEARNER_MATCH, fixture("learner_match_request.xml"))
    expected = etree.fromstring(fixture("learner_match_response.xml").encode())
    assert shape(xml(response)) == shape(expected)
    assert count(response) == 1


@pytest.mark.parametrize(
    "facts",
    [
        {"BirthDay": "30", "BirthMonth": "10"},
        {"Npi": "1999999026"},
        {"LicenseId": "036999902", "StateName": "IL"},
        {"LicenseId": "036999902", "StateName": "Illinois"},
        {"MedicalSchoolName": "Lakeshore University School of Medicine"},
    ],
)
def test_it_matches_names_with_any_one_more_fact(
    sandbox: Provider, ws: Client, facts: dict[str, str]
) -> None:
    assert count(match(ws, FirstName="jane", LastName="accme", **facts)) == 1


def test_it_matches_by_board_id(sandbox: Provider, ws: Client) -> None:
    body = fixture("learner_match_request.xml")
    for name in ("BirthDay", "BirthMonth", "LicenseId", "MedicalSchoolName", "Npi", "StateName"):
        start, end = body.index(f"<{name}>"), body.index(f"</{name}>") + len(name) + 3
        body = body[:start] + body[end:]
    assert count(post(ws, LEARNER_MATCH, body)) == 1


def test_it_counts_two_physicians_who_share_a_name_and_birthday(
    sandbox: Provider, ws: Client
) -> None:
    twin = physician_specs()[20]
    response = match(
        ws,
        FirstName=twin.first_name,
        LastName=twin.last_name,
        BirthDay=str(twin.birth_day),
        BirthMonth=str(twin.birth_month),
    )
    assert count(response) >= 2


def test_it_counts_zero_for_an_unknown_learner(sandbox: Provider, ws: Client) -> None:
    assert (
        count(match(ws, FirstName="Jane", LastName="Nobody", BirthDay="30", BirthMonth="10")) == 0
    )


def test_it_refuses_criteria_without_a_fact_besides_the_name(sandbox: Provider, ws: Client) -> None:
    response = match(ws, FirstName="Jane", LastName="ACCME")
    assert response.status_code == 400
    assert "give at least one of" in messages(response)[0]


@pytest.mark.parametrize(
    "facts",
    [
        {"BirthDay": "30"},
        {"BirthDay": "30", "BirthMonth": "13"},
        {"BirthDay": "31", "BirthMonth": "2"},
        {"Npi": "1234567890"},  # the guide's own example: its check digit is wrong
        {"LicenseId": "036999902"},
        {"LicenseId": "1", "StateName": "ZZ"},
    ],
)
def test_it_counts_zero_for_values_that_cannot_match_anyone(
    sandbox: Provider, ws: Client, facts: dict[str, str]
) -> None:
    assert count(match(ws, FirstName="Jane", LastName="ACCME", **facts)) == 0


@pytest.mark.parametrize(
    "facts",
    [
        {"Npi": "12345678901"},
        {"Npi": "1999999026" + " " * 3 + "0"},
        {"LicenseId": "9" * 101, "StateName": "IL"},
        {"LicenseId": "1", "StateName": "Illinois" * 7},
        {"MedicalSchoolName": "U" * 256, "BirthDay": "30", "BirthMonth": "10"},
        {"FirstName": "J" * 101, "BirthDay": "30", "BirthMonth": "10"},
    ],
)
def test_it_counts_zero_for_values_longer_than_any_the_directory_holds(
    sandbox: Provider, ws: Client, facts: dict[str, str]
) -> None:
    values = {"FirstName": "Jane", "LastName": "ACCME", **facts}
    assert count(match(ws, **values)) == 0


def test_it_counts_zero_for_a_board_id_longer_than_any(sandbox: Provider, ws: Client) -> None:
    sample = fixture("learner_match_request.xml")
    body = sample.replace("<Board>ABIM</Board>", f"<Board>{'B' * 11}</Board>")
    assert body != sample

    response = post(ws, LEARNER_MATCH, body)

    assert count(response) == 0
    assert "is unknown" in response["Warning"]  # type: ignore[index]


def test_it_keeps_a_warning_quoting_a_callers_value_on_one_short_line(
    sandbox: Provider, ws: Client
) -> None:
    # U+2028 breaks a line without being a control character (which is refused unquoted).
    response = match(ws, FirstName="Jane", LastName="ACCME", Npi="12\u202834" + "5" * 5000)

    assert count(response) == 0
    warning = response["Warning"]  # type: ignore[index]
    assert "\n" not in warning and len(warning) < 1100
    assert warning.startswith("299 - \"MatchedLearnerCount 0: NPI '12 345555")


def test_it_needs_first_and_last_name(sandbox: Provider, ws: Client) -> None:
    response = match(ws, FirstName="Jane", Npi="1999999026")
    assert response.status_code == 400
    assert "missing the element(s) LastName" in messages(response)[0]
