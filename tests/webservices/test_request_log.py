"""The request log: every call is kept 30 days, password redacted, and never fails the call."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from learners.models import CompletionRecord
from portal.models import Provider, WebServiceAccount
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    LEARNER_MATCH,
    LEARNER_NS,
    PASSWORD,
    SAVE_LEARNER,
    USER,
    XML,
    fixture,
    post,
    status_code,
    submit,
)
from webservices import calllog
from webservices.calllog import REDACTED, redact_authorization, redact_body, request_log_purge
from webservices.models import WebServiceCall
from webservices.tasks import purge_request_log

pytestmark = pytest.mark.django_db


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def only_call() -> WebServiceCall:
    (call,) = WebServiceCall.objects.all()
    return call


def test_it_logs_an_accepted_call_with_everything_a_ticket_needs(
    sandbox: Provider, ws: Client
) -> None:
    response = post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    assert status_code(response) == "Accepted"

    call = only_call()
    assert (call.method, call.http_method, call.http_status) == ("SaveLearnerActivity", "POST", 200)
    assert call.status_code == "Accepted"
    assert call.codes == ""
    assert call.path == SAVE_LEARNER
    assert call.url == f"http://testserver{SAVE_LEARNER}"
    assert call.provider == sandbox
    assert call.account == WebServiceAccount.objects.get(username=USER)
    assert (call.username, call.credential_source) == (USER, "envelope")
    assert call.response_body == response.content.decode()
    assert "ccid:aaatestorganization.org:v31234" in call.request_body
    assert call.duration_ms >= 0
    assert "Content-Type: application/xml; charset=utf-8" in call.request_headers


def test_it_redacts_the_password_in_the_envelope(sandbox: Provider, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    call = only_call()
    assert PASSWORD not in call.request_body
    assert f"<Password>{REDACTED}</Password>" in call.request_body


# utf-16/32 and utf-8-sig write their byte-order mark; utf-16-be and -le write none.
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig", "utf-16-be", "utf-16-le"])
def test_it_redacts_the_password_of_an_envelope_in_another_encoding(
    sandbox: Provider, ws: Client, encoding: str
) -> None:
    body = fixture("save_learner_activity_request.xml").encode(encoding)

    response = post(ws, SAVE_LEARNER, body)

    assert status_code(response) == "Accepted"  # the parser read it
    call = only_call()
    assert PASSWORD not in call.request_body
    assert PASSWORD not in call.request_body.replace("\x00", "").replace("\ufffd", "")
    assert f"<Password>{REDACTED}</Password>" in call.request_body
    assert "ccid:aaatestorganization.org:v31234" in call.request_body  # readable, not bytes


def test_it_redacts_the_password_of_basic_auth(sandbox: Provider, ws: Client) -> None:
    body = fixture("learner_match_request.xml").replace(f"<Password>{PASSWORD}</Password>", "")
    body = body.replace(f"<User>{USER}</User>", "")
    response = ws.post(
        LEARNER_MATCH, data=body, content_type=XML, HTTP_AUTHORIZATION=basic(USER, PASSWORD)
    )
    assert response.status_code == 200
    call = only_call()
    assert f"Authorization: Basic {USER}:{REDACTED}" in call.request_headers
    assert PASSWORD not in call.request_headers + call.request_body
    assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in call.request_headers
    assert (call.username, call.credential_source, call.provider) == (USER, "basic", sandbox)


def test_it_logs_a_refused_password_for_the_accounts_provider(
    sandbox: Provider, ws: Client
) -> None:
    body = fixture("status_by_credit_id_request.xml").replace(PASSWORD, "a-wrong-guess")
    response = post(ws, BY_CREDIT_ID, body)
    assert response.status_code == 403
    call = only_call()
    assert (call.http_status, call.status_code, call.codes) == (403, "Rejected", "451")
    assert call.provider == sandbox  # its staff see why their LMS is refused
    assert "a-wrong-guess" not in call.request_body


@pytest.mark.parametrize(
    ("method", "content_type", "status"),
    [("get", XML, 405), ("post", "text/plain", 415), ("post", XML, 400)],
)
def test_it_logs_refusals_before_any_credentials(
    sandbox: Provider, ws: Client, method: str, content_type: str, status: int
) -> None:
    if method == "get":
        response = ws.get(BY_CREDIT_ID)
    else:
        response = ws.post(BY_CREDIT_ID, data="<not-xml", content_type=content_type)
    assert response.status_code == status
    call = only_call()
    assert (call.method, call.http_status, call.codes) == (
        "GetLearnerStatusByCreditId",
        status,
        "455",
    )
    assert call.provider is None  # no credentials read: only admins see it


def test_it_logs_a_path_that_names_no_method(ws: Client) -> None:
    response = ws.post(
        "/services/ACCMEService.svc/IACCMEServiceREST/Nothing", data="<x/>", content_type=XML
    )
    assert response.status_code == 404
    call = only_call()
    assert (call.method, call.http_status, call.path) == (
        "",
        404,
        "/services/ACCMEService.svc/IACCMEServiceREST/Nothing",
    )


def test_it_answers_the_call_when_the_log_cannot_be_written(
    sandbox: Provider, ws: Client, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    # The INSERT goes to a table that is not there: the database refuses it.
    monkeypatch.setattr(
        calllog, "_insert_sql", lambda vendor: "INSERT INTO no_such_table VALUES (1)"
    )
    response = post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    assert (response.status_code, status_code(response)) == (200, "Accepted")
    assert CompletionRecord.objects.filter(provider=sandbox).count() == 1
    assert "Could not write the request log" in caplog.text


def test_it_writes_no_log_when_turned_off(sandbox: Provider, ws: Client, settings: Any) -> None:
    settings.WEBSERVICE_REQUEST_LOG = False
    response = post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    assert status_code(response) == "Accepted"
    assert not WebServiceCall.objects.exists()


def _call(age: timedelta) -> WebServiceCall:
    return WebServiceCall.objects.create(
        created_at=timezone.now() - age,
        method="GetLearnerMatch",
        http_method="POST",
        path="/services/x",
        url="http://testserver/services/x",
        http_status=200,
        duration_ms=1,
    )


def test_it_keeps_calls_for_30_days() -> None:
    kept = _call(timedelta(days=29, hours=23))
    _call(timedelta(days=30, minutes=1))
    assert request_log_purge() == 1
    assert list(WebServiceCall.objects.all()) == [kept]


def test_its_purge_task_runs_the_service_and_is_scheduled(settings: Any) -> None:
    _call(timedelta(days=31))
    assert purge_request_log() == 1
    assert purge_request_log() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["webservices-purge-request-log"]
    assert entry["task"] == "webservices.purge_request_log"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<Password>s3cret</Password>", f"<Password>{REDACTED}</Password>"),
        (
            '<a:Password xmlns:a="x">s3cret</a:Password>',
            f'<a:Password xmlns:a="x">{REDACTED}</a:Password>',
        ),
        ("<Password><![CDATA[s3<c>ret]]></Password>", f"<Password>{REDACTED}</Password>"),
        ("<Password>s3cret", f"<Password>{REDACTED}"),  # a body cut short
        ("<Password/><User>u</User>", "<Password/><User>u</User>"),
        # A prefix of characters beyond \w (U+00B7 is an XML name character), another case
        # (refused by the service, but logged), a password as an attribute.
        (
            '<a\u00b7b:Password xmlns:a\u00b7b="x">s3cret</a\u00b7b:Password>',
            f'<a\u00b7b:Password xmlns:a\u00b7b="x">{REDACTED}</a\u00b7b:Password>',
        ),
        ("<password>s3cret</password>", f"<password>{REDACTED}</password>"),
        ("<PASSWORD >s3cret</PASSWORD >", f"<PASSWORD >{REDACTED}</PASSWORD >"),
        ('<User password="s3cret">u</User>', f'<User password="{REDACTED}">u</User>'),
        ("<User pwd:Password='s3cret'/>", f'<User pwd:Password="{REDACTED}"/>'),
    ],
)
def test_it_redacts_every_form_of_password(body: str, expected: str) -> None:
    assert redact_body(body.encode()) == expected


@pytest.mark.parametrize(
    ("declaration", "encoding"),
    [
        ("", "utf-16-le"),  # no mark: '<' followed by a zero byte
        ("", "utf-32-be"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
        ('<?xml version="1.0" encoding="windows-1252"?>', "cp1252"),
        ('<?xml version="1.0" encoding="UTF-16"?>', "utf-8"),  # a declaration the bytes belie
        ('<?xml version="1.0" encoding="no-such-code"?>', "utf-8"),
        ('<?xml version="1.0" encoding="idna"?>', "utf-8"),  # a codec, not an XML encoding
    ],
)
def test_it_reads_a_body_as_the_xml_parser_does_before_redacting(
    declaration: str, encoding: str
) -> None:
    body = f"{declaration}<Envelope><User>Zoë</User><Password>pärs</Password></Envelope>"

    text = redact_body(body.encode(encoding))

    assert text == body.replace("pärs", REDACTED)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (basic("ws@aaa-test.org", "pw:with:colons"), f"Basic ws@aaa-test.org:{REDACTED}"),
        ("Basic not-base64!", f"Basic {REDACTED}"),
        ("Bearer abc.def", f"Bearer {REDACTED}"),
        # A tab is whitespace like a space; a header of bare credentials names no scheme.
        ("Basic\t" + basic("ws@aaa-test.org", "pw")[6:], f"Basic ws@aaa-test.org:{REDACTED}"),
        (basic("ws@aaa-test.org", "pw")[6:], REDACTED),
        ("d3NAYWFhLXRlc3Qub3JnOnB3 more", REDACTED),
    ],
)
def test_it_redacts_every_authorization_header(header: str, expected: str) -> None:
    assert redact_authorization(header) == expected


def test_it_cuts_short_a_large_body_that_no_account_sent(ws: Client) -> None:
    body = "<LearnerMatchRequest>" + "x" * 100_000 + "</LearnerMatchRequest>"
    assert post(ws, LEARNER_MATCH, body).status_code == 400
    call = only_call()
    assert len(call.request_body) < 17_000
    assert call.request_body.endswith(f"(cut short: {len(body):,} bytes were sent by a caller with no account)")  # fmt: skip


def test_it_keeps_the_whole_body_of_an_accounts_call(sandbox: Provider, ws: Client) -> None:
    data = fixture("learner_report.xml").replace("Jane", "Jane" + " " * 20_000)
    post(ws, SAVE_LEARNER, submit(data, namespace=LEARNER_NS))
    assert "(cut short" not in only_call().request_body
    assert len(only_call().request_body) > 20_000


def test_it_logs_a_call_whose_body_holds_a_nul(sandbox: Provider, ws: Client) -> None:
    # A text column can't hold a NUL: the call is kept all the same, with U+FFFD in its place.
    body = fixture("save_learner_activity_request.xml").replace("<Data>", "<Data>\x00", 1)
    response = post(ws, SAVE_LEARNER, body)
    assert response.status_code == 400
    assert "\ufffd" in only_call().request_body


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "\uff11\uff12"])
def test_it_answers_and_logs_a_content_length_that_is_no_length(
    sandbox: Provider, ws: Client, length: str
) -> None:
    body = fixture("status_by_credit_id_request.xml")

    response = ws.post(BY_CREDIT_ID, data=body, content_type=XML, CONTENT_LENGTH=length)

    assert response.status_code == 400
    assert b"455" in response.content and b"is not a number of bytes" in response.content
    assert "is not a number of bytes" in only_call().request_body
