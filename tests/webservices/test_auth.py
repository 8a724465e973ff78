"""Credentials: 451 Invalid User (HTTP 403), throttling (HTTP 429), the verified-password cache."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from portal.models import AuthThrottle, Provider, WebServiceAccount
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    LEARNER_MATCH,
    LEARNER_NS,
    OTHER_PROVIDER_ID,
    OTHER_USER,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    USER,
    codes,
    fixture,
    messages,
    post,
    status_code,
    submit,
    xml,
)
from webservices.auth import AccessDenied, account_authenticate, forget_verified

pytestmark = pytest.mark.django_db


def by_credit_id(
    *, user: str = "ws@aaa-test.org", password: str = "pars-ws-demo", provider_id: str = "0001234"
) -> str:
    return (
        fixture("status_by_credit_id_request.xml")
        .replace("<User>ws@aaa-test.org</User>", f"<User>{user}</User>")
        .replace("<Password>pars-ws-demo</Password>", f"<Password>{password}</Password>")
        .replace("<ProviderId>0001234</ProviderId>", f"<ProviderId>{provider_id}</ProviderId>")
    )


def test_it_accepts_the_demo_credentials(sandbox: Provider, ws: Client) -> None:
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 200


def test_it_reads_the_user_name_in_any_case(sandbox: Provider, ws: Client) -> None:
    response = post(ws, BY_CREDIT_ID, by_credit_id(user="WS@AAA-Test.org"))
    assert response.status_code == 200


@pytest.mark.parametrize("provider_id", ["1234", "00001234", " 0001234 "])
def test_it_accepts_a_provider_id_with_any_leading_zeros(
    sandbox: Provider, ws: Client, provider_id: str
) -> None:
    assert post(ws, BY_CREDIT_ID, by_credit_id(provider_id=provider_id)).status_code == 200


@pytest.mark.parametrize("provider_id", ["12340", "\uff11\uff12\uff13\uff14", "1234x"])
def test_it_refuses_a_provider_id_naming_another_number(
    sandbox: Provider, ws: Client, provider_id: str
) -> None:
    assert post(ws, BY_CREDIT_ID, by_credit_id(provider_id=provider_id)).status_code == 403


@pytest.mark.parametrize(
    "kwargs",
    [
        {"password": "wrong"},
        {"user": "nobody@aaa-test.org"},
        {"user": ""},
        {"password": ""},
        {"provider_id": OTHER_PROVIDER_ID},
        {"provider_id": "abc"},
        {"user": OTHER_USER},  # another provider's account with this provider's id
    ],
)
def test_it_answers_451_with_http_403_for_bad_credentials(
    sandbox: Provider, ws: Client, kwargs: dict[str, str]
) -> None:
    response = post(ws, BY_CREDIT_ID, by_credit_id(**kwargs))
    assert response.status_code == 403
    assert codes(response) == ["451"]
    assert messages(response) == ["Invalid User: Access Denied"]
    assert xml(response).tag == f"{{{LEARNER_NS}}}ArrayOfResponseMessage"
    counted = AuthThrottle.objects.filter(scope=AuthThrottle.Scope.WEBSERVICE)
    assert sorted(counted.values_list("failures", "in_flight")) == [(1, 0), (1, 0)]


def test_it_answers_a_response_message_for_bad_credentials_on_save(
    sandbox: Provider, ws: Client
) -> None:
    body = fixture("save_activity_request.xml").replace("pars-ws-demo", "wrong")
    response = post(ws, SAVE_ACTIVITY, body)
    assert response.status_code == 403
    assert status_code(response) == "Rejected"
    assert codes(response) == ["451"]


def test_it_refuses_an_inactive_account(sandbox: Provider, ws: Client) -> None:
    WebServiceAccount.objects.filter(username="ws@aaa-test.org").update(is_active=False)
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 403


def test_it_checks_the_learner_match_account_without_a_provider_id(
    sandbox: Provider, ws: Client
) -> None:
    body = fixture("learner_match_request.xml").replace("pars-ws-demo", "wrong")
    assert post(ws, LEARNER_MATCH, body).status_code == 403
    assert post(ws, LEARNER_MATCH, fixture("learner_match_request.xml")).status_code == 200


def test_it_checks_a_provider_id_given_to_learner_match(sandbox: Provider, ws: Client) -> None:
    body = fixture("learner_match_request.xml").replace(
        "<StateName>", f"<ProviderId>{OTHER_PROVIDER_ID}</ProviderId><StateName>"
    )
    assert post(ws, LEARNER_MATCH, body).status_code == 403


def test_it_throttles_repeated_failures_with_429(
    sandbox: Provider, ws: Client, settings: object
) -> None:
    settings.THROTTLE_MAX_FAILURES = 3  # type: ignore[attr-defined]
    for _ in range(3):
        assert post(ws, BY_CREDIT_ID, by_credit_id(password="guess")).status_code == 403
    response = post(ws, BY_CREDIT_ID, by_credit_id())  # even the right password, for now
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert codes(response) == ["451"]
    assert "too many failed attempts" in messages(response)[0]


def test_it_throttles_by_address_across_user_names(
    sandbox: Provider, ws: Client, settings: object
) -> None:
    settings.THROTTLE_MAX_FAILURES = 3  # type: ignore[attr-defined]
    for n in range(3):
        post(ws, BY_CREDIT_ID, by_credit_id(user=f"guess{n}@example.org"))
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 429


def test_it_clears_the_addresses_failures_after_a_verified_password(
    sandbox: Provider, ws: Client
) -> None:
    post(ws, BY_CREDIT_ID, by_credit_id(password="typo"))
    assert sorted(AuthThrottle.objects.values_list("failures", flat=True)) == [1, 1]
    post(ws, BY_CREDIT_ID, by_credit_id())
    counts = dict(AuthThrottle.objects.values_list("key", "failures"))
    assert counts == {"ip:127.0.0.1": 0, f"user:{USER}": 1}  # the account's wait their window
    assert set(AuthThrottle.objects.values_list("in_flight", flat=True)) == {0}


def test_it_keeps_counting_guesses_at_an_account_while_its_client_succeeds(
    sandbox: Provider, settings: object
) -> None:
    """Guesses from many addresses, interleaved with the LMS's own full checks, still end at
    the account's limit: a success does not wipe the count."""
    settings.THROTTLE_MAX_FAILURES = 3  # type: ignore[attr-defined]
    lms = Client(REMOTE_ADDR="10.0.0.1")
    for n in range(3):
        guesser = Client(REMOTE_ADDR=f"192.0.2.{n}")
        assert post(guesser, BY_CREDIT_ID, by_credit_id(password=f"guess{n}")).status_code == 403
        if n < 2:
            assert post(lms, BY_CREDIT_ID, by_credit_id()).status_code == 200
            forget_verified()  # so the LMS's next call is a full check, as a minute later

    assert post(Client(REMOTE_ADDR="192.0.2.9"), BY_CREDIT_ID, by_credit_id()).status_code == 429


def test_it_keeps_an_lms_in_while_guessers_spend_its_accounts_budget(
    sandbox: Provider, settings: object
) -> None:
    """Guesses from elsewhere lock the account for every new address, not for the address its
    LMS verified the password from, which keeps only its own budget."""
    settings.THROTTLE_MAX_FAILURES = 3  # type: ignore[attr-defined]
    lms = Client(REMOTE_ADDR="10.0.0.1")
    assert post(lms, BY_CREDIT_ID, by_credit_id()).status_code == 200
    forget_verified()
    for n in range(3):
        guesser = Client(REMOTE_ADDR=f"192.0.2.{n}")
        assert post(guesser, BY_CREDIT_ID, by_credit_id(password=f"guess{n}")).status_code == 403

    assert post(lms, BY_CREDIT_ID, by_credit_id()).status_code == 200
    forget_verified()
    assert post(Client(REMOTE_ADDR="192.0.2.9"), BY_CREDIT_ID, by_credit_id()).status_code == 429
    for n in range(3):  # the trusted address's own guesses still run out
        assert post(lms, BY_CREDIT_ID, by_credit_id(password=f"typo{n}")).status_code == 403
    assert post(lms, BY_CREDIT_ID, by_credit_id()).status_code == 429


def test_it_checks_a_password_hash_once_per_minute_per_client(
    sandbox: Provider, ws: Client
) -> None:
    with mock.patch.object(
        WebServiceAccount,
        "check_password",
        autospec=True,
        side_effect=lambda a, p: p == "pars-ws-demo",
    ) as check:
        for _ in range(3):
            assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 200
        assert check.call_count == 1
        # A wrong password is never answered from what was remembered.
        assert post(ws, BY_CREDIT_ID, by_credit_id(password="pars-ws-dem0")).status_code == 403
        assert check.call_count == 2


def test_it_forgets_a_remembered_password_when_it_changes(sandbox: Provider, ws: Client) -> None:
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 200
    account = WebServiceAccount.objects.get(username="ws@aaa-test.org")
    account.set_password("rotated-secret")
    account.save()
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 403
    assert post(ws, BY_CREDIT_ID, by_credit_id(password="rotated-secret")).status_code == 200


def test_it_refuses_a_remembered_account_once_deactivated(sandbox: Provider, ws: Client) -> None:
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 200
    WebServiceAccount.objects.filter(username="ws@aaa-test.org").update(is_active=False)
    assert post(ws, BY_CREDIT_ID, by_credit_id()).status_code == 403


def test_it_authenticates_before_reading_the_record(sandbox: Provider, ws: Client) -> None:
    body = submit("not xml at all", namespace=LEARNER_NS, password="wrong")
    response = post(ws, SAVE_LEARNER, body)
    assert response.status_code == 403
    assert codes(response) == ["451"]


def test_it_answers_a_remembered_client_with_one_query(
    sandbox: Provider, django_assert_num_queries: object
) -> None:
    def call() -> object:
        return account_authenticate(
            username="ws@aaa-test.org",
            password="pars-ws-demo",
            provider_id="0001234",
            client_ip="127.0.0.1",
        )

    call()
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert call().provider == sandbox


def test_it_keeps_the_throttle_for_every_password_check(
    sandbox: Provider, django_assert_num_queries: object
) -> None:
    # Account; whether the address is trusted for it; the throttle rows made sure of (one
    # insert), a place taken in each (a savepoint, two UPDATEs, its release); the failure counted
    # in each (two UPDATEs).
    with django_assert_num_queries(9), pytest.raises(AccessDenied):  # type: ignore[operator]
        account_authenticate(
            username="ws@aaa-test.org",
            password="guess",
            provider_id="0001234",
            client_ip="127.0.0.1",
        )
