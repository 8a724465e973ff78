"""Credentials by HTTP Basic Auth: alone, or with the envelope's when both agree."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from portal.models import Provider
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    LEARNER_MATCH,
    PASSWORD,
    USER,
    XML,
    child,
    codes,
    fixture,
    messages,
    xml,
)
from webservices.auth import AccessDenied, NoCredentials, basic_credentials, credentials_resolve

pytestmark = pytest.mark.django_db


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def without_credentials(name: str) -> str:
    return (
        fixture(name)
        .replace(f"<Password>{PASSWORD}</Password>", "")
        .replace(f"<User>{USER}</User>", "")
    )


def send(ws: Client, path: str, body: str, authorization: str | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return ws.post(path, data=body, content_type=XML, **headers)


def test_it_takes_the_credentials_from_basic_auth_alone(sandbox: Provider, ws: Client) -> None:
    response = send(
        ws, LEARNER_MATCH, without_credentials("learner_match_request.xml"), basic(USER, PASSWORD)
    )
    assert response.status_code == 200, messages(response)
    assert child(xml(response), "MatchedLearnerCount").text == "1"


def test_it_takes_basic_auth_separated_by_a_tab(sandbox: Provider, ws: Client) -> None:
    header = basic(USER, PASSWORD).replace(" ", "\t", 1)
    body = without_credentials("learner_match_request.xml")

    response = send(ws, LEARNER_MATCH, body, header)

    assert response.status_code == 200, messages(response)


def test_it_takes_both_when_they_agree(sandbox: Provider, ws: Client) -> None:
    response = send(
        ws, BY_CREDIT_ID, fixture("status_by_credit_id_request.xml"), basic(USER, PASSWORD)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(("user", "password"), [(USER, "another"), ("ws@wrmc.org", PASSWORD)])
def test_it_refuses_envelope_and_basic_credentials_that_disagree(
    sandbox: Provider, ws: Client, user: str, password: str
) -> None:
    response = send(
        ws, BY_CREDIT_ID, fixture("status_by_credit_id_request.xml"), basic(user, password)
    )
    assert response.status_code == 403
    assert codes(response) == ["451"]
    assert "in the envelope and in the HTTP Basic Auth header disagree" in messages(response)[0]


def test_it_refuses_a_wrong_basic_password(sandbox: Provider, ws: Client) -> None:
    body = without_credentials("status_by_credit_id_request.xml")
    response = send(ws, BY_CREDIT_ID, body, basic(USER, "wrong"))
    assert response.status_code == 403
    assert messages(response) == ["Invalid User: Access Denied"]


def test_it_asks_for_credentials_when_there_are_none(sandbox: Provider, ws: Client) -> None:
    response = send(ws, BY_CREDIT_ID, without_credentials("status_by_credit_id_request.xml"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="PARS web services"')
    assert codes(response) == ["451"]
    assert "send them in the envelope or by HTTP Basic Auth" in messages(response)[0]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("Bearer abc", "must use HTTP Basic, not Bearer"),
        ("Basic %%%", "not valid HTTP Basic credentials"),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "must be user:password"),
        # Bare credentials, no scheme: the refusal must not quote them.
        (basic(USER, PASSWORD)[6:], "must use HTTP Basic, not another scheme."),
    ],
)
def test_it_refuses_an_unreadable_authorization_header(
    sandbox: Provider, ws: Client, header: str, problem: str
) -> None:
    response = send(
        ws, BY_CREDIT_ID, without_credentials("status_by_credit_id_request.xml"), header
    )
    assert response.status_code == 403
    assert problem in messages(response)[0]


def test_it_reads_a_password_with_colons() -> None:
    assert basic_credentials(basic("u@x.org", "a:b:c")) == ("u@x.org", "a:b:c")


@pytest.mark.parametrize(
    ("user", "password", "header", "expected"),
    [
        ("u", "p", "", ("u", "p", "envelope")),
        ("", "", basic("u", "p"), ("u", "p", "basic")),
        ("u", "", basic("u", "p"), ("u", "p", "both")),
        (" u ", "p", basic("u", "p"), ("u", "p", "both")),
    ],
)
def test_it_resolves_where_the_credentials_come_from(
    user: str, password: str, header: str, expected: tuple[str, str, str]
) -> None:
    found = credentials_resolve(user=user, password=password, authorization=header)
    assert (found.username, found.password, found.source) == expected


def test_it_says_when_no_credentials_came_at_all() -> None:
    with pytest.raises(NoCredentials):
        credentials_resolve(user="", password="", authorization="")
    with pytest.raises(AccessDenied):
        credentials_resolve(user="u", password="p", authorization=basic("u", "q"))
