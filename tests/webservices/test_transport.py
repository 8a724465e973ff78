"""What every method refuses before it looks at a record: method, content type, size, envelope."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.webservices.conftest import (
    ACTIVITY_NS,
    ALL_PATHS,
    BASE,
    BY_CREDIT_ID,
    BY_LEARNER,
    GET_ACTIVITY,
    LEARNER_MATCH,
    LEARNER_NS,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    XML,
    child,
    codes,
    envelope,
    fixture,
    messages,
    post,
    status_code,
    submit,
    xml,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ALL_PATHS)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_it_refuses_other_methods_than_post_with_405(ws: Client, path: str, method: str) -> None:
    response = getattr(ws, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "takes POST only" in messages(response)[0]
    assert status_code(response) == "Rejected"


@pytest.mark.parametrize("path", ALL_PATHS)
@pytest.mark.parametrize(
    "content_type",
    ["text/xml", "application/json", "application/xml; charset=iso-8859-1", "text/plain"],
)
def test_it_refuses_another_content_type_with_415(ws: Client, path: str, content_type: str) -> None:
    response = post(ws, path, fixture("status_by_credit_id_request.xml"), content_type)
    assert response.status_code == 415
    assert "application/xml; charset=utf-8" in messages(response)[0]
    assert content_type in messages(response)[0]


def test_it_accepts_application_xml_without_a_charset(sandbox: object, ws: Client) -> None:
    response = post(ws, BY_CREDIT_ID, fixture("status_by_credit_id_request.xml"), "application/xml")
    assert response.status_code == 200


def test_it_refuses_a_body_over_the_cap_with_413(ws: Client, settings: object) -> None:
    settings.WEBSERVICE_MAX_BYTES = 2000  # type: ignore[attr-defined]
    response = post(ws, SAVE_ACTIVITY, fixture("save_activity_request.xml"))
    assert response.status_code == 413
    assert "limit of 2,000 bytes" in messages(response)[0]


def test_it_refuses_malformed_xml_with_400(ws: Client) -> None:
    response = post(ws, SAVE_LEARNER, "<SubmitMessage><Data>")
    assert response.status_code == 400
    assert codes(response) == ["455"]
    assert "not well-formed XML" in messages(response)[0]


def test_it_refuses_an_empty_body_with_400(ws: Client) -> None:
    response = post(ws, GET_ACTIVITY, "  \n")
    assert response.status_code == 400
    assert "empty" in messages(response)[0]


def test_it_says_a_chunked_body_it_could_not_read_needs_its_length(ws: Client) -> None:
    """Django reads a body by its Content-Length: a chunked one reaches the view empty."""
    chunked = {"CONTENT_TYPE": XML, "HTTP_TRANSFER_ENCODING": "chunked"}
    response = ws.generic("POST", GET_ACTIVITY, b"", **chunked)  # no Content-Length

    assert response.status_code == 411
    assert codes(response) == ["455"]
    assert "Send the Content-Length header" in messages(response)[0]


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<LearnerStatusSearchByCreditId xmlns="{LEARNER_NS}"><CreditId>&x;</CreditId>'
        "</LearnerStatusSearchByCreditId>",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>'
        f'<LearnerStatusSearchByCreditId xmlns="{LEARNER_NS}"><CreditId>&c;</CreditId>'
        "</LearnerStatusSearchByCreditId>",
    ],
    ids=["xxe", "entity-expansion"],
)
def test_it_refuses_entities_and_doctypes_with_400(ws: Client, body: str) -> None:
    response = post(ws, BY_CREDIT_ID, body)
    assert response.status_code == 400
    assert "DOCTYPE" in messages(response)[0] or "not well-formed" in messages(response)[0]
    assert b"root:" not in response.content


def test_it_reads_the_guides_out_of_order_sample_and_warns_what_pars_would_drop(
    sandbox: object, ws: Client
) -> None:
    # The guide's own GetLearnerStatusByLearner sample puts UniqueId before Password: PARS's WCF
    # binding would drop the elements after it; the portal reads them and says so.
    body = (
        fixture("status_by_learner_request.xml")
        .replace("<UniqueId>999902</UniqueId>\n", "")
        .replace("<Password>", "<UniqueId>999902</UniqueId>\n<Password>")
    )
    response = post(ws, BY_LEARNER, body)
    assert response.status_code == 200
    assert xml(response).tag == f"{{{LEARNER_NS}}}ArrayOfResponseMessage"
    warning = response["Warning"]
    assert warning.startswith('299 - "Elements out of order')
    assert "would ignore Password, ProviderId as sent here" in warning
    assert (
        "ActivityId, BirthDay, BirthMonth, CompletionDate, Password, ProviderId, UniqueId, User"
        in warning
    )


def test_it_sends_no_warning_for_an_envelope_in_order(sandbox: object, ws: Client) -> None:
    response = post(ws, BY_LEARNER, fixture("status_by_learner_request.xml"))
    assert response.status_code == 200
    assert not response.has_header("Warning")


def test_it_refuses_an_unknown_element_naming_it(ws: Client) -> None:
    body = fixture("get_activity_request.xml").replace(
        "<SchemaVersion>", "<Title>x</Title><SchemaVersion>"
    )
    response = post(ws, GET_ACTIVITY, body)
    assert response.status_code == 400
    assert "Unknown element 'Title' in SearchCriteria" in messages(response)[0]


def test_it_refuses_an_element_given_twice(ws: Client) -> None:
    body = fixture("status_by_credit_id_request.xml").replace(
        "<Password>", "<CreditId>again</CreditId><Password>"
    )
    response = post(ws, BY_CREDIT_ID, body)
    assert response.status_code == 400
    assert "'CreditId' appears more than once" in messages(response)[0]


def test_it_refuses_a_missing_element_naming_it(ws: Client) -> None:
    body = fixture("status_by_learner_request.xml").replace("<BirthDay>30</BirthDay>", "")
    response = post(ws, BY_LEARNER, body)
    assert response.status_code == 400
    assert "missing the element(s) BirthDay" in messages(response)[0]


def test_it_refuses_an_empty_required_element(ws: Client) -> None:
    body = fixture("status_by_learner_request.xml").replace(
        "<UniqueId>999902</UniqueId>", "<UniqueId></UniqueId>"
    )
    response = post(ws, BY_LEARNER, body)
    assert response.status_code == 400
    assert "UniqueId of LearnerStatusSearchByLearner must not be empty" in messages(response)[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "<BirthDay>30</BirthDay>",
            "<BirthDay>thirty</BirthDay>",
            "'BirthDay' must be a whole number",
        ),
        (
            "<CompletionDate>2025-07-06</CompletionDate>",
            "<CompletionDate>07/06/2025</CompletionDate>",
            "'CompletionDate' must be a date as YYYY-MM-DD",
        ),
        ("<UniqueId>999902</UniqueId>", f"<UniqueId>{'9' * 21}</UniqueId>", "the limit is 20"),
    ],
)
def test_it_refuses_values_of_the_wrong_type(ws: Client, old: str, new: str, expected: str) -> None:
    response = post(ws, BY_LEARNER, fixture("status_by_learner_request.xml").replace(old, new))
    assert response.status_code == 400
    assert expected in messages(response)[0]


def test_it_refuses_the_wrong_namespace_naming_the_right_one(ws: Client) -> None:
    # The Activity service keeps PARS's BLL.Service namespace, as the guide's samples show.
    body = fixture("get_activity_request.xml").replace(ACTIVITY_NS, LEARNER_NS)
    response = post(ws, GET_ACTIVITY, body)
    assert response.status_code == 400
    assert f"must be in the namespace {ACTIVITY_NS}" in messages(response)[0]


def test_it_refuses_another_methods_envelope(ws: Client) -> None:
    response = post(ws, BY_CREDIT_ID, fixture("learner_match_request.xml"))
    assert response.status_code == 400
    assert "expects a LearnerStatusSearchByCreditId envelope" in messages(response)[0]


def test_it_refuses_child_elements_where_text_belongs(ws: Client) -> None:
    body = envelope("LearnerStatusSearchByCreditId", LEARNER_NS, {"CreditId": "x"}).replace(
        "<CreditId>x</CreditId>", "<CreditId><a/></CreditId>"
    )
    response = post(ws, BY_CREDIT_ID, body)
    assert response.status_code == 400
    assert "must hold text" in messages(response)[0]


def test_it_answers_an_unknown_path_under_services_with_xml_404(ws: Client) -> None:
    response = post(ws, BASE + "ACCMEService.svc/IACCMEServiceREST/DeleteEverything", "<x/>")
    assert response.status_code == 404
    assert "SaveLearnerActivity" in messages(response)[0]


def test_it_matches_paths_case_insensitively_and_with_a_trailing_slash(
    sandbox: object, ws: Client
) -> None:
    body = fixture("status_by_credit_id_request.xml")
    assert post(ws, BY_CREDIT_ID.lower(), body).status_code == 200
    assert post(ws, BY_CREDIT_ID + "/", body).status_code == 200


def test_it_needs_no_csrf_token(sandbox: object) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post(client, LEARNER_MATCH, fixture("learner_match_request.xml"))
    assert response.status_code == 200


def test_it_answers_a_control_character_without_failing(sandbox: object, ws: Client) -> None:
    data = fixture("learner_report.xml").replace("Jane", "Ja&#x1;ne")
    response = post(ws, SAVE_LEARNER, submit(data, namespace=LEARNER_NS))
    assert response.status_code in (200, 400)
    assert child(xml(response), "StatusCode").text == "Rejected"


def test_it_renders_responses_as_utf8_xml(sandbox: object, ws: Client) -> None:
    response = post(ws, LEARNER_MATCH, fixture("learner_match_request.xml"))
    assert response["Content-Type"] == XML
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
