"""An LMS integrator's day against the sandbox, call by call, as the guide describes it."""

from __future__ import annotations

import pytest
from django.test import Client

from learners.models import CompletionRecord, RecordSource, RecordStatus
from portal.models import Provider
from tests.webservices.conftest import (
    ACTIVITY_NS,
    BY_CREDIT_ID,
    GET_ACTIVITY,
    LEARNER_MATCH,
    LEARNER_NS,
    SAVE_ACTIVITY,
    SAVE_LEARNER,
    child,
    codes,
    fixture,
    messages,
    parse_data,
    post,
    status_code,
    submit,
    xml,
)

pytestmark = pytest.mark.django_db

LOM = "http://ltsc.ieee.org/xsd/LOM"
CREDIT_ID = "ccid:aaatestorganization.org:day-1"


def new_activity() -> str:
    """The guide's Add sample, rescheduled into this year so learners can be reported on it."""
    return (
        fixture("activity_add.xml")
        .replace("addactivityexample", "fall-im-review")
        .replace("2021-01-30", "2026-09-01")
        .replace("2021-12-30", "2026-10-31")
        .replace("<ex:CreditClaimDate>2021-12-31", "<ex:CreditClaimDate>2026-12-31")
        .replace("<hx:numberOfCredits>28<", "<hx:numberOfCredits>2<")
        .replace("<ex:mocPoints>2.0<", "<ex:mocPoints>4<")
    )


def completion(activity_id: str, *, action: str = "add") -> str:
    return (
        fixture("learner_report.xml")
        .replace("210015516", activity_id)
        .replace("2025-07-06", "2026-10-15")
        .replace("ccid:aaatestorganization.org:v31234", CREDIT_ID)
        .replace("<ex:learnerRecordAction>add", f"<ex:learnerRecordAction>{action}")
    )


def test_it_plays_an_integrators_day(sandbox: Provider, ws: Client) -> None:
    # 1. SaveActivity (Add): PARS assigns the ACCME Activity ID and echoes it.
    response = post(
        ws, SAVE_ACTIVITY, submit(new_activity(), namespace=ACTIVITY_NS, reporting_year="2026")
    )
    assert (response.status_code, status_code(response)) == (200, "Accepted"), messages(response)
    ids = {
        i.findtext(f"{{{LOM}}}catalog"): i.findtext(f"{{{LOM}}}entry")
        for i in parse_data(response).iter(f"{{{LOM}}}identifier")
    }
    activity_id = ids["ACCME Activity ID"] or ""
    assert len(activity_id) == 9

    # 2. GetActivity by the provider's own id finds it.
    search = fixture("get_activity_request.xml").replace("addactivityexample", "fall-im-review")
    response = post(ws, GET_ACTIVITY, search)
    assert f"<lom:entry>{activity_id}</lom:entry>" in (child(xml(response), "Data").text or "")

    # 3. GetLearnerMatch: Jane ACCME is exactly one physician.
    response = post(ws, LEARNER_MATCH, fixture("learner_match_request.xml"))
    assert child(xml(response), "MatchedLearnerCount").text == "1"

    # 4. SaveLearnerActivity: accepted.
    response = post(ws, SAVE_LEARNER, submit(completion(activity_id), namespace=LEARNER_NS))
    assert status_code(response) == "Accepted", messages(response)
    record = CompletionRecord.objects.get(provider=sandbox, credit_id=CREDIT_ID)
    assert record.source == RecordSource.WEB_SERVICE

    # 5. GetLearnerStatusByCreditId: waiting for ABIM.
    status = fixture("status_by_credit_id_request.xml").replace(
        "ccid:aaatestorganization.org:v31234", CREDIT_ID
    )
    response = post(ws, BY_CREDIT_ID, status)
    data = xml(response)[0].findtext(f"{{{LEARNER_NS}}}Data") or ""
    assert data.startswith(f"Activity Id: {activity_id}; Submission Date: ")
    assert data.endswith(f"; Learner Id: {record.learner_id}")
    assert status_code(response) == "Pending"

    # 6. The same Credit ID again: rejected with 603, nothing stored twice.
    response = post(ws, SAVE_LEARNER, submit(completion(activity_id), namespace=LEARNER_NS))
    assert status_code(response) == "Rejected"
    assert "603" in codes(response)
    assert CompletionRecord.objects.filter(credit_id=CREDIT_ID).count() == 1

    # 7. Delete the record; its status says so.
    delete = completion(activity_id, action="delete")
    response = post(ws, SAVE_LEARNER, submit(delete, namespace=LEARNER_NS))
    assert status_code(response) == "Accepted", messages(response)
    record.refresh_from_db()
    assert record.status == RecordStatus.DELETED
    assert status_code(post(ws, BY_CREDIT_ID, status)) == "Deleted"
