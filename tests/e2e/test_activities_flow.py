"""An activity's life in the browser: register it, register it for ABIM MOC, report a learner
by manual entry and another through SaveLearnerActivity, then close it with learner counts.

Against the live server and the real clock: the activity started three weeks ago and ended
yesterday, so it takes learners (Ready to Close) and can be closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from xml.sax.saxutils import escape

import pytest
from playwright.sync_api import expect

from activities.models import Activity
from learners.models import CompletionRecord, RecordSource
from tests.e2e.conftest import DEMO_EMAIL

pytestmark = pytest.mark.e2e
SAVE_LEARNER = "/services/ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity"
LEARNER_NS = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
PAGES_375 = ("/activity/", "/activity/new/")


def learner_report(activity_id: str, completed: date, credit_id: str) -> str:
    """Jane ACCME's ABIM completion, as an LMS sends it (ACCMELearnerReports v3)."""
    return f"""<accme:ACCMELearnerReports xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/"
 xmlns:ex="http://docs.accme.org/schemas/ACCMELearnerReportExtension/v3/"
 xmlns:ar="http://ns.medbiq.org/activityreport/v2/" xmlns:m="http://ns.medbiq.org/member/v2/"
 xmlns:n="http://ns.medbiq.org/name/v2/" xmlns:hx="http://ns.medbiq.org/lom/extend/v1/">
<ar:ActivityReports><ar:ActivityReport>
<ar:Member><m:UniqueID domain="ABIM">999902</m:UniqueID>
<m:Name><n:GivenName>Jane</n:GivenName><n:FamilyName>ACCME</n:FamilyName></m:Name>
<m:PersonalInfo><m:BirthDate>1904-10-30</m:BirthDate></m:PersonalInfo></ar:Member>
<ar:Activity><ar:ActivityName>{activity_id}</ar:ActivityName><ar:Module>
<ar:ModuleName moduleID="{activity_id}">Hospital Medicine Intensive</ar:ModuleName>
<ar:Status>Completed</ar:Status><ar:CompletedDateTime>{completed.isoformat()}</ar:CompletedDateTime>
<ar:CreditCertificate><ar:CreditReceived><hx:activityCertification>ABIM Medical Knowledge</hx:activityCertification>
<hx:creditUnit>Point</hx:creditUnit><hx:numberOfCredits>3</hx:numberOfCredits></ar:CreditReceived>
<ar:CreditID>{credit_id}</ar:CreditID></ar:CreditCertificate>
</ar:Module></ar:Activity>
<ar:XtensibleInfo><ex:learnerRecordAction>add</ex:learnerRecordAction></ar:XtensibleInfo>
</ar:ActivityReport></ar:ActivityReports></accme:ACCMELearnerReports>"""


def save_learner(page: Any, data: str) -> str:
    body = (
        f'<SubmitMessage xmlns="{LEARNER_NS}"><Data>{escape(data)}</Data>'
        "<Password>pars-ws-demo</Password><ProviderId>0001234</ProviderId>"
        "<User>ws@aaa-test.org</User></SubmitMessage>"
    )
    response = page.request.post(
        SAVE_LEARNER, data=body, headers={"Content-Type": "application/xml; charset=utf-8"}
    )
    return response.text()


def test_it_registers_an_activity_reports_learners_and_closes_it(
    login: Callable[..., Any], sandbox: date
) -> None:
    today = sandbox
    start, end = today - timedelta(days=21), today - timedelta(days=1)
    page = login()

    # 1. Register the activity.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activities").click()
    page.get_by_role("button", name="Register an activity").click()
    page.get_by_label("Provider Activity ID").fill("HOSP-MED-E2E")
    page.get_by_label("Activity title").fill("Hospital Medicine Intensive")
    page.get_by_label("Activity format").select_option("Live Course")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("AMA PRA Category 1 Credits™ offered").fill("12")
    page.get_by_label("Providership").select_option("direct")
    page.get_by_label("Description of content").fill("Three weeks of hospital medicine updates.")
    page.get_by_label("City").fill("Chicago")
    page.get_by_label("State").fill("IL")
    page.get_by_label("Commercial support received").select_option("no")
    page.get_by_role("button", name="Register activity").click()
    expect(page.get_by_role("status")).to_contain_text("was registered (Ready to Close)")
    activity = Activity.objects.get(provider_activity_id="HOSP-MED-E2E")
    expect(page).to_have_url(re.compile(rf"/activity/{activity.activity_id}/$"))

    # 2. Register it for ABIM MOC: choosing the board offers ABIM's own credit types.
    page.get_by_role("link", name="Register for MOC with a board").click()
    page.get_by_label("Certifying board").select_option("ABIM")
    expect(page.get_by_label("Practice Assessment")).to_be_visible()
    page.get_by_label("MOC points offered").fill("12")
    page.get_by_label("Medical Knowledge").check()
    page.get_by_role("button", name="Save MOC registration").click()
    expect(page.get_by_role("status")).to_contain_text("registered for MOC with ABIM")
    expect(page.get_by_role("table")).to_contain_text("Medical Knowledge")

    # 3. Report Jane ACCME by manual entry.
    page.get_by_role("link", name="Learners on this activity").click()
    page.get_by_role("button", name="Enter learner manually").click()
    form = page.locator("form#entry")
    form.get_by_label("Completion Date").fill((today - timedelta(days=5)).isoformat())
    form.get_by_label("First Name").fill("Jane")
    form.get_by_label("Last Name").fill("ACCME")
    form.get_by_label("Date of Birth (MM/DD)").fill("10/30")
    form.get_by_label("Licensing State").select_option("IL")
    form.get_by_label("Licensing ID or NPI").fill("036999902")
    form.get_by_label("Number of CME Credits").fill("12")
    form.get_by_label("Certifying Board", exact=True).select_option("ABIM")
    form.get_by_label("Certifying Board ID").fill("999902")
    # Half the activity's 12 points: her later completion adds 3 more (never above the offer, 710).
    form.get_by_label("Total Board Credits").fill("6")
    form.get_by_label("Credit Type", exact=True).select_option("Medical Knowledge")
    form.get_by_label("Credits Awarded for Credit Type").fill("6")
    form.get_by_role("button", name="Add learner").click()
    expect(page.locator("#entry-stored")).to_contain_text("was stored")

    # 4. Report her completion of another day through SaveLearnerActivity.
    answer = save_learner(
        page, learner_report(activity.activity_id, today - timedelta(days=2), "ccid:e2e:1")
    )
    assert "<StatusCode>Accepted</StatusCode>" in answer, answer
    page.goto(f"/activities/{activity.activity_id}/")
    expect(page.locator("main table")).to_contain_text("ccid:e2e:1")
    sources = set(
        CompletionRecord.objects.filter(activity=activity).values_list("source", flat=True)
    )
    assert sources == {RecordSource.MANUAL, RecordSource.WEB_SERVICE}

    # 5. Close it with the learner counts; a missing count is named first, in the focused
    # summary, and beside its field.
    page.get_by_role("link", name="Activity registration (edit, MOC, close)").click()
    page.get_by_role("button", name="Close activity").click()
    expect(page.get_by_label("Status")).to_have_value("closed")
    page.get_by_label("Number of physicians (including residents)").fill("2")
    page.get_by_role("button", name="Save activity").click()
    others = page.get_by_label("Number of other learners")
    expect(page.locator("#form-errors")).to_be_focused()
    page.locator("#form-errors").get_by_role("link", name="Number of other learners").click()
    expect(others).to_be_focused()
    expect(page.locator("#id_other_learners_error")).to_contain_text("457")
    others.fill("1")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_role("status")).to_contain_text("was saved (Closed)")
    expect(page.locator("dl.facts")).to_contain_text("2 physicians, 1 other learners")

    # A closed activity takes no more learners.
    late = save_learner(
        page, learner_report(activity.activity_id, today - timedelta(days=3), "ccid:e2e:2")
    )
    assert "<Code>481</Code>" in late, late
    activity.refresh_from_db()
    assert (activity.status, activity.physician_count, activity.other_learner_count) == (
        "closed", 2, 1,
    )  # fmt: skip


@pytest.mark.parametrize("path", PAGES_375)
def test_it_fits_activity_pages_on_a_phone(
    browser: Any, live_server: Any, sandbox: date, path: str
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("pars-demo")
    page.get_by_role("button", name="Log in").click()
    for url in (path, "/activity/210015526/", "/activity/210015526/moc/?board=ABS"):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{url} scrolls sideways ({width}px)"
    context.close()
