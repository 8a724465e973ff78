"""A call made with curl against a live server shows in the staff's request log, password hidden,
and downloads as a support ticket; another provider's staff can't open it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from learners.sandbox import seed_sandbox
from tests.webservices.notes import (
    AMC_STAFF,
    LEARNER_MATCH_REQUEST,
    NOTES_NOW,
    SAVE_LEARNER,
    create_account,
    logged_calls,
    notes_request,
)
from webservices.calllog import REDACTED

pytestmark = pytest.mark.django_db(transaction=True)

LMS_USER = "lms@amc-test.org"


@pytest.fixture(autouse=True)
def frozen_today() -> Any:
    with time_machine.travel(NOTES_NOW, tick=True):
        yield


def login(email: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=email))
    return client


def curl(url: str, body: bytes, *, user: str, password: str) -> str:
    """POST `body` as the notes' n8n flow does: XML content type, HTTP Basic Auth."""
    curl_path = shutil.which("curl")
    assert curl_path, "curl is needed for this test"
    result = subprocess.run(
        [
            curl_path, "--silent", "--show-error", "--max-time", "30", "-X", "POST", url,
            "-H", "Content-Type: application/xml; charset=utf-8",
            "--user", f"{user}:{password}", "--data-binary", "@-",
        ],
        input=body,
        capture_output=True,
        check=True,
        timeout=60,
    )  # fmt: skip
    return result.stdout.decode()


def test_it_shows_a_curl_call_in_the_request_log(live_server: Any, settings: Any) -> None:
    settings.SANDBOX = True
    seed_sandbox(today=date(2026, 11, 30))
    staff = login(AMC_STAFF)
    password = create_account(staff, LMS_USER)

    # The notes' Learner Match, then their learner before the activity exists (Rejected, 690).
    match = notes_request("learner_match_request.xml", user=LMS_USER, password=password)
    answer = curl(live_server.url + LEARNER_MATCH_REQUEST, match, user=LMS_USER, password=password)
    assert "<MatchedLearnerCount>1</MatchedLearnerCount>" in answer
    save = notes_request("save_learner_activity.xml", user=LMS_USER, password=password)
    answer = curl(live_server.url + SAVE_LEARNER, save, user=LMS_USER, password=password)
    assert "<StatusCode>Rejected</StatusCode>" in answer and "<Code>690</Code>" in answer

    calls = logged_calls(2)
    assert [c.method for c in calls] == ["LearnerMatchRequest", "SaveLearnerActivity"]
    call = calls[1]
    assert (call.username, call.credential_source) == (LMS_USER, "both")
    assert call.response_body == answer

    listing = staff.get("/web-services/").content.decode()
    assert f'href="/web-services/calls/{call.pk}/"' in listing
    page = staff.get(f"/web-services/calls/{call.pk}/").content.decode()
    assert password not in page
    assert f"&lt;Password&gt;{REDACTED}&lt;/Password&gt;" in page
    assert f"Authorization: Basic {LMS_USER}:{REDACTED}" in page
    assert "User-Agent: curl/" in page

    ticket = staff.get(f"/web-services/calls/{call.pk}/support-ticket.txt").content.decode()
    assert password not in ticket
    assert "Environment: Sandbox" in ticket
    assert f"API endpoint URL: {live_server.url}{SAVE_LEARNER}" in ticket
    assert call.request_body in ticket and "<ar:FirstName>James</ar:FirstName>" in ticket
    assert answer in ticket
    assert "Error codes:\n  690: ACCME activity ID does not exist" in ticket

    outsider = login("demo@aaa-test.org")
    assert outsider.get(f"/web-services/calls/{call.pk}/").status_code == 404
    assert outsider.get(f"/web-services/calls/{call.pk}/support-ticket.txt").status_code == 404
    assert f"/web-services/calls/{call.pk}/" not in outsider.get("/web-services/").content.decode()
