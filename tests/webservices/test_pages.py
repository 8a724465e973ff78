"""The staff's Web services pages: the request log, one call, its support ticket, the accounts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from portal.models import Provider, WebServiceAccount
from tests.webservices.conftest import (
    BY_CREDIT_ID,
    PASSWORD,
    SAVE_LEARNER,
    USER,
    fixture,
    post,
)
from tests.webservices.notes import create_account
from webservices.calllog import REDACTED
from webservices.models import WebServiceCall

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
CALLS = "/web-services/"
ACCOUNTS = "/web-services/accounts/"


def login(email: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=email))
    return client


@pytest.fixture
def staff(sandbox: Provider) -> Client:
    return login("demo@aaa-test.org")


@pytest.fixture
def outsider(sandbox: Provider) -> Client:
    return login("demo@wrmc.org")


def logged_call(provider: Provider | None, **values: Any) -> WebServiceCall:
    fields: dict[str, Any] = {
        "method": "SaveLearnerActivity",
        "http_method": "POST",
        "path": SAVE_LEARNER,
        "url": "http://testserver" + SAVE_LEARNER,
        "http_status": 200,
        "status_code": "Accepted",
        "duration_ms": 12,
        "provider": provider,
        **values,
    }
    return WebServiceCall.objects.create(**fields)


def listed(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(rb'href="/web-services/calls/(\d+)/"', response.content)]


# -- The request log ---------------------------------------------------------------------------


def test_it_lists_the_providers_own_calls_newest_first(sandbox: Provider, staff: Client) -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=CHICAGO)
    older = logged_call(sandbox, created_at=now - timedelta(hours=1))
    newer = logged_call(sandbox, created_at=now)
    logged_call(Provider.objects.get(accme_id="0005678"), created_at=now)
    logged_call(None, created_at=now)  # refused before any credentials: admins only

    response = staff.get(CALLS)
    assert response.status_code == 200
    assert listed(response) == [newer.pk, older.pk]
    assert b"Showing 1 - 2 of 2 calls" in response.content


def test_it_logs_real_calls_for_the_page(sandbox: Provider, staff: Client, ws: Client) -> None:
    post(ws, SAVE_LEARNER, fixture("save_learner_activity_request.xml"))
    post(ws, BY_CREDIT_ID, fixture("status_by_credit_id_request.xml"))
    response = staff.get(CALLS)
    assert b"SaveLearnerActivity" in response.content
    assert b"GetLearnerStatusByCreditId" in response.content
    assert len(listed(response)) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"method": "GetLearnerMatch"}, ["match"]),
        ({"status": "Rejected"}, ["rejected", "refused"]),
        ({"status": "http-error"}, ["refused"]),
        ({"code": "718"}, ["rejected"]),
        ({"code": "71"}, None),  # not a code: the form says so
        ({"date_from": "2026-11-19", "date_to": "2026-11-19"}, ["refused"]),
        ({"date_from": "2026-11-20", "date_to": "2026-11-19"}, None),
        ({"method": "SaveActivity"}, []),
    ],
)
def test_it_filters_by_method_status_code_and_date(
    sandbox: Provider, staff: Client, query: dict[str, str], expected: list[str] | None
) -> None:
    day = datetime(2026, 11, 20, 9, 0, tzinfo=CHICAGO)
    calls = {
        "match": logged_call(sandbox, method="GetLearnerMatch", created_at=day),
        "rejected": logged_call(sandbox, status_code="Rejected", codes="7180,718", created_at=day),
        "refused": logged_call(
            sandbox,
            http_status=403,
            status_code="Rejected",
            codes="451",
            created_at=day - timedelta(days=1),
        ),
    }
    response = staff.get(CALLS, query)
    if expected is None:
        assert response.status_code == 400
        return
    assert response.status_code == 200
    assert listed(response) == [calls[name].pk for name in expected]


def test_it_pages_the_calls(sandbox: Provider, staff: Client) -> None:
    for _ in range(27):
        logged_call(sandbox)
    assert len(listed(staff.get(CALLS))) == 25
    assert len(listed(staff.get(CALLS, {"page": 2}))) == 2
    assert len(listed(staff.get(CALLS, {"page": "x"}))) == 25


def test_it_opens_one_call_with_its_request_and_answer(
    sandbox: Provider, staff: Client, ws: Client
) -> None:
    post(ws, BY_CREDIT_ID, fixture("status_by_credit_id_request.xml").replace(PASSWORD, "nope"))
    call = WebServiceCall.objects.get()
    response = staff.get(f"/web-services/calls/{call.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Download for a support ticket" in page
    assert f"&lt;Password&gt;{REDACTED}&lt;/Password&gt;" in page
    assert "nope" not in page
    assert "451" in page and "Invalid User: Access Denied" in page


def test_it_downloads_a_call_for_a_support_ticket(
    sandbox: Provider, staff: Client, ws: Client, settings: Any
) -> None:
    settings.SANDBOX = True
    post(
        ws,
        SAVE_LEARNER,
        fixture("save_learner_activity_request.xml").replace("210015516", "210015599"),
    )
    call = WebServiceCall.objects.get()
    response = staff.get(f"/web-services/calls/{call.pk}/support-ticket.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    ticket = response.content.decode()
    # Appendix D: environment, endpoint URL, full request, full response, error codes.
    assert "Environment: Sandbox" in ticket
    assert f"API endpoint URL: http://testserver{SAVE_LEARNER}" in ticket
    assert "Full XML request (credentials redacted)" in ticket
    assert call.request_body in ticket and PASSWORD not in ticket
    assert "Full XML response" in ticket and call.response_body in ticket
    assert "Error codes:\n  690: ACCME Activity ID '210015599' does not exist" in ticket


def test_it_names_production_in_a_production_ticket(
    sandbox: Provider, staff: Client, settings: Any
) -> None:
    settings.SANDBOX = False
    call = logged_call(sandbox)
    ticket = staff.get(f"/web-services/calls/{call.pk}/support-ticket.txt").content.decode()
    assert "Environment: Production" in ticket


@pytest.mark.parametrize("suffix", ["", "support-ticket.txt"])
def test_it_hides_another_providers_call(sandbox: Provider, outsider: Client, suffix: str) -> None:
    call = logged_call(sandbox)
    assert outsider.get(f"/web-services/calls/{call.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize(
    "path", [CALLS, "/web-services/calls/{}/", "/web-services/calls/{}/support-ticket.txt"]
)
def test_its_log_pages_take_get_only(sandbox: Provider, staff: Client, path: str) -> None:
    call = logged_call(sandbox)
    assert staff.post(path.format(call.pk)).status_code == 405


def test_it_asks_for_a_login(sandbox: Provider) -> None:
    response = Client().get(CALLS)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# -- Web-service accounts ----------------------------------------------------------------------


def call_as(ws: Client, user: str, password: str) -> Any:
    body = (
        fixture("status_by_credit_id_request.xml").replace(USER, user).replace(PASSWORD, password)
    )
    return post(ws, BY_CREDIT_ID, body)


def test_it_creates_an_account_and_shows_its_password_once(
    sandbox: Provider, staff: Client, ws: Client
) -> None:
    password = create_account(staff, "lms@aaa-test.org")
    account = WebServiceAccount.objects.get(username="lms@aaa-test.org")
    assert account.provider == sandbox and account.is_active
    assert password not in account.password and account.check_password(password)
    assert call_as(ws, "lms@aaa-test.org", password).status_code == 200
    page = staff.get(ACCOUNTS)
    assert b"lms@aaa-test.org" in page.content
    assert password.encode() not in page.content


def test_it_never_caches_a_shown_password(sandbox: Provider, staff: Client) -> None:
    response = staff.post(ACCOUNTS, {"username": "lms@aaa-test.org"})
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ws@aaa-test.org", "is taken"),
        ("WS@wrmc.org", "is taken"),  # another provider's: taken all the same, nothing more said
        ("not an email", "Enter a valid email address"),
        ("", "This field is required"),
    ],
)
def test_it_refuses_a_bad_or_taken_user_name(
    sandbox: Provider, staff: Client, username: str, message: str
) -> None:
    response = staff.post(ACCOUNTS, {"username": username})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert b'id="new-password"' not in response.content


def test_it_lists_only_the_providers_own_accounts(sandbox: Provider, staff: Client) -> None:
    page = staff.get(ACCOUNTS).content
    assert b"ws@aaa-test.org" in page
    assert b"ws@wrmc.org" not in page


def test_it_rotates_a_password(sandbox: Provider, staff: Client, ws: Client) -> None:
    account = WebServiceAccount.objects.get(username=USER)
    assert call_as(ws, USER, PASSWORD).status_code == 200
    response = staff.post(f"/web-services/accounts/{account.pk}/rotate/")
    assert response.status_code == 200
    new = re.search(rb'id="new-password">([^<]+)<', response.content).group(1).decode()  # type: ignore[union-attr]
    assert call_as(ws, USER, PASSWORD).status_code == 403
    assert call_as(ws, USER, new).status_code == 200


def test_it_deactivates_and_reactivates_an_account(
    sandbox: Provider, staff: Client, ws: Client
) -> None:
    account = WebServiceAccount.objects.get(username=USER)
    response = staff.post(f"/web-services/accounts/{account.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    assert call_as(ws, USER, PASSWORD).status_code == 403
    staff.post(f"/web-services/accounts/{account.pk}/active/", {"active": "1"})
    assert call_as(ws, USER, PASSWORD).status_code == 200


@pytest.mark.parametrize("action", ["rotate", "active"])
def test_it_hides_another_providers_account(
    sandbox: Provider, outsider: Client, action: str
) -> None:
    account = WebServiceAccount.objects.get(username=USER)
    response = outsider.post(f"/web-services/accounts/{account.pk}/{action}/", {"active": "0"})
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.is_active and account.check_password(PASSWORD)


@pytest.mark.parametrize("action", ["rotate", "active"])
def test_its_account_actions_take_post_only(sandbox: Provider, staff: Client, action: str) -> None:
    account = WebServiceAccount.objects.get(username=USER)
    assert staff.get(f"/web-services/accounts/{account.pk}/{action}/").status_code == 405


# -- Admins ------------------------------------------------------------------------------------


def test_it_shows_admins_every_providers_calls(sandbox: Provider, admin_client: Client) -> None:
    mine = logged_call(sandbox, username="ws@aaa-test.org")
    theirs = logged_call(Provider.objects.get(accme_id="0005678"), username="ws@wrmc.org")
    anonymous = logged_call(None, username="", http_status=400)
    page = admin_client.get("/admin/webservices/webservicecall/").content.decode()
    for call in (mine, theirs, anonymous):
        assert f"/admin/webservices/webservicecall/{call.pk}/change/" in page
    assert (
        admin_client.get(f"/admin/webservices/webservicecall/{theirs.pk}/change/").status_code
        == 200
    )
    assert admin_client.get("/admin/webservices/webservicecall/add/").status_code == 403
