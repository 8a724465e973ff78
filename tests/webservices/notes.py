"""The integration notes' requests (reference/integrator-notes.txt), byte for byte, and what an
integrator changes in them: the base URL and the credentials, nothing else."""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from tests.webservices.conftest import FIXTURES

NOTES = FIXTURES / "notes"
# The notes' SaveActivity is for reporting year 2026; their completion is 2026-05-06.
NOTES_NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
AMC_ID = "0008273"
AMC_STAFF = "demo@amc-test.org"
PROVIDER_ACTIVITY_ID = "AMC-HIPAA-2025-V4"

# The notes' paths, under the PARS sandbox's base URLs; the portal's base is /services/.
SAVE_ACTIVITY = "/services/ACCMEService.svc/IACCMEServiceREST/SaveActivity"
GET_ACTIVITY = "/services/ACCMEService.svc/IACCMEServiceREST/GetActivity"
LEARNER_SERVICE = "/services/ACCMELearnerService.svc/IACCMELearnerServiceREST"
LEARNER_MATCH_REQUEST = f"{LEARNER_SERVICE}/LearnerMatchRequest"
SAVE_LEARNER = f"{LEARNER_SERVICE}/SaveLearnerActivity"
BY_CREDIT_ID = f"{LEARNER_SERVICE}/GetLearnerStatusByCreditId"

# What the notes hold in place of the credentials (the published copy obfuscates the address).
NOTES_USER = b"[email protected]"
NOTES_PASSWORD = b"*YOUR_WS_PASSWORD*"


def notes_request(name: str, *, user: str, password: str) -> bytes:
    """The notes' request `name` with only the credentials put in."""
    body = (NOTES / name).read_bytes()
    assert NOTES_USER in body and NOTES_PASSWORD in body
    return body.replace(NOTES_USER, user.encode()).replace(NOTES_PASSWORD, password.encode())


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def create_account(staff: Client, username: str) -> str:
    """Create a web-service account on the portal page, as staff do; returns the password shown."""
    response = staff.post("/web-services/accounts/", {"username": username})
    assert response.status_code == 200, response.content[:500]
    found = re.search(rb'id="new-password">([^<]+)<', response.content)
    assert found, "the new password is shown"
    return found.group(1).decode()


def logged_calls(count: int, *, within: float = 10.0) -> list[Any]:
    """The request log's calls, oldest first, once `count` are there.

    A live server writes a call's log right after sending the answer, so a client may read the
    answer a moment before the log row exists.
    """
    from webservices.models import WebServiceCall

    deadline = time.monotonic() + within
    while True:
        calls = list(WebServiceCall.objects.order_by("created_at", "id"))
        if len(calls) >= count or time.monotonic() > deadline:
            return calls
        time.sleep(0.05)
