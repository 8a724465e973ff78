"""Tenancy: every provider-scoped URL, visited with provider A's objects by everyone but A.

The URL resolver is walked, so a URL added later is visited too (or the test names it as
unclassified). Provider B's staff get 404 for every URL holding one of A's ids and see none of
A's data on list pages and exports; a user without a provider gets 404; an anonymous visitor is
sent to log in. The web services answer B's credentials with A's ids as not found.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from lxml import etree

from activities.models import Activity
from learners.models import CompletionRecord, Learner, RecordStatus
from learners.sandbox import DEMO_WS_PASSWORD, PROVIDERS, activity_specs, seed_sandbox
from portal.models import Provider, WebServiceAccount
from tests.corpus.makers import cme_row, good_rows, txt
from tests.factories import CompletionRecordFactory, UserFactory
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process
from uploads.services import IncomingFile, upload_create
from webservices.models import WebServiceCall

TODAY = date(2026, 11, 22)
A_ID, B_ID = "0001234", "0005678"
A_UPLOAD_NAME = "tenant-a-secret-upload.txt"
A_CREDIT_ID = "ccid:tenant-a:secret-1"
B_CREDIT_ID = "ccid:tenant-b:visible-1"
# Namespaces checked elsewhere: the admin (below, staff-only) and the web services (below).
SEPARATELY_CHECKED = ("admin", "webservices")
# Pages that are not provider-scoped at all.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "technical_information",
    "schema_bundle",
    "schema_file",
}
# Values for URL parameters that are not object ids.
PLAIN_PARAMS = {"fmt": ["csv", "xlsx"], "program": ["board"], "ext": ["txt"], "board": ["ABIM"]}
# List pages and exports are visited with each of these, to pull A's data out if scoping fails.
QUERIES = [
    {},
    {"last_name": "ACCME"},
    {"activity": "210015516"},
    {"board_id": "999902"},
    {"title": "Internal Medicine"},
    {"provider_activity_id": "IMU-2"},
    {"name": "ACCME"},
]
MIN_OBJECT_VISITS = 25
MIN_LIST_VISITS = 30


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]
    namespace: str = ""


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            params = tuple(entry.pattern.regex.groupindex)
            name = f"{namespace}{entry.name}" if entry.name else prefix + str(entry.pattern)
            yield Route(name, prefix + str(entry.pattern), params, namespace.split(":")[0])


def provider_routes() -> list[Route]:
    return [
        r
        for r in walk(get_resolver().url_patterns)
        if r.namespace not in SEPARATELY_CHECKED and r.name not in PUBLIC
    ]


@dataclass
class Tenants:
    a: Provider
    b: Provider
    a_upload: Upload
    a_pending: Upload
    a_record: CompletionRecord
    b_record: CompletionRecord
    a_call: WebServiceCall
    a_account: WebServiceAccount
    a_markers: list[str]


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with time_machine.travel("2026-11-22 10:00 -06:00", tick=False):
        yield


@pytest.fixture
def tenants(db: None, frozen_today: None, settings: Any, tmp_path: Any) -> Tenants:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seed_sandbox(today=TODAY)
    a, b = Provider.objects.get(accme_id=A_ID), Provider.objects.get(accme_id=B_ID)
    a_user = get_user_model().objects.get(username=PROVIDERS[0].staff_email)
    data = txt([*good_rows(2), cme_row(("Nobody", "Known", "01/01", "IL", "0"), "06/20/2025")])

    def upload() -> Any:
        incoming = IncomingFile.from_bytes(A_UPLOAD_NAME, data)
        return upload_create(
            provider=a, user=a_user, file_type="txt", program="board", mode="submit",
            incoming=incoming,
        )  # fmt: skip

    a_upload = upload().upload
    upload_process(upload_id=a_upload.pk)
    a_upload.refresh_from_db()
    assert a_upload.status == UploadStatus.COMPLETED and a_upload.has_report
    a_pending = upload().upload
    assert a_pending.status == UploadStatus.PENDING
    jane = Learner.objects.get(last_name="ACCME", first_name="Jane")
    a_record = CompletionRecordFactory(
        activity=Activity.objects.get(activity_id="210015527"), learner=jane, credit_id=A_CREDIT_ID
    )
    b_record = CompletionRecordFactory(
        activity=Activity.objects.get(activity_id="210025503"), learner=jane, credit_id=B_CREDIT_ID
    )
    a_account = WebServiceAccount.objects.get(username=PROVIDERS[0].ws_user)
    a_call = WebServiceCall.objects.create(
        method="GetLearnerStatusByCreditId", http_method="POST", path="/services/x",
        url="http://testserver/services/x", http_status=200, duration_ms=1, provider=a,
        account=a_account, username=a_account.username, request_body=A_CREDIT_ID,
    )  # fmt: skip
    titles = [spec.title for spec in activity_specs(TODAY)[A_ID]]
    markers = [a.name, A_UPLOAD_NAME, A_CREDIT_ID, "210015516", "210015527", *titles]
    markers.append(a_account.username)
    return Tenants(a, b, a_upload, a_pending, a_record, b_record, a_call, a_account, markers)


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def route_urls(route: Route, values: dict[str, list[Any]]) -> list[str]:
    combos: list[dict[str, Any]] = [{}]
    for param in route.params:
        options = values.get(param) or PLAIN_PARAMS[param]
        combos = [{**c, param: value} for c in combos for value in options]
    return [reverse(route.name, kwargs=c) for c in combos]


def object_urls(route: Route, t: Tenants) -> list[str]:
    """The route filled with A's objects (and, for nested ids, B's parent with A's child)."""
    values: dict[str, list[Any]] = {
        "activity_id": [t.a_record.activity.activity_id],
        "record_id": [t.a_record.pk],
        "upload_id": [t.a_upload.pk, t.a_pending.pk],
        "call_id": [t.a_call.pk],
        "account_id": [t.a_account.pk],
    }
    urls = route_urls(route, values)
    if {"activity_id", "record_id"} <= set(route.params):
        mixed = {"activity_id": t.b_record.activity.activity_id, "record_id": t.a_record.pk}
        urls.append(reverse(route.name, kwargs=mixed))
    return urls


def urls_of(route: Route, t: Tenants) -> list[str]:
    return object_urls(route, t) if has_object(route) else route_urls(route, {})


def has_object(route: Route) -> bool:
    return any(param.endswith("_id") for param in route.params)


def body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def test_it_classifies_every_url_of_the_portal() -> None:
    routes = provider_routes()
    known = {"activity_id", "record_id", "upload_id", "call_id", "account_id", *PLAIN_PARAMS}
    unknown = [(r.name, p) for r in routes for p in r.params if p not in known]

    assert unknown == [], "a URL parameter the tenancy matrix does not know how to fill"
    assert sum(has_object(r) for r in routes) >= 8
    assert any(r.namespace == "webservices" for r in walk(get_resolver().url_patterns))


def test_it_gives_another_provider_404_for_every_url_with_a_providers_object(
    tenants: Tenants,
) -> None:
    b_client = client_for(PROVIDERS[1].staff_email)
    a_client = client_for(PROVIDERS[0].staff_email)
    before = snapshot(tenants)
    failures: list[str] = []
    visits, owner_ok = 0, 0

    for route in filter(has_object, provider_routes()):
        for url in object_urls(route, tenants):
            statuses = {}
            for method in ("get", "post"):
                response = getattr(b_client, method)(url)
                statuses[method] = response.status_code
                visits += 1
                if response.status_code not in (404, 405) or leaks(response, tenants):
                    failures.append(
                        f"B {method.upper()} {url} ({route.name}) → {response.status_code}"
                    )
            if 404 not in statuses.values():
                failures.append(f"B {url} ({route.name}) never answered 404: {statuses}")
            owner = a_client.get(url).status_code
            owner_ok += owner < 400

    print(f"\ntenancy: {visits} visits of A's objects by provider B")
    assert failures == []
    assert visits >= MIN_OBJECT_VISITS
    assert owner_ok >= 8, "A itself should open its own objects: the 404s prove nothing otherwise"
    assert snapshot(tenants) == before, "B's requests changed A's data"


def leaks(response: Any, t: Tenants) -> bool:
    text = body_text(response)
    return any(marker in text for marker in t.a_markers)


def snapshot(t: Tenants) -> tuple[Any, ...]:
    return (
        sorted(CompletionRecord.objects.filter(provider=t.a).values_list("credit_id", "status")),
        sorted(
            Upload.objects.filter(provider=t.a).values_list("pk", "status", "duplicate_override")
        ),
        Activity.objects.filter(provider=t.a).count(),
        sorted(WebServiceAccount.objects.filter(provider=t.a).values_list("password", "is_active")),
    )


def test_it_shows_another_provider_none_of_a_providers_data_on_lists_and_exports(
    tenants: Tenants,
) -> None:
    b_client = client_for(PROVIDERS[1].staff_email)
    failures: list[str] = []
    visits, b_data_seen = 0, 0

    for route in provider_routes():
        if has_object(route):
            continue
        for url, query in [(u, q) for u in route_urls(route, {}) for q in QUERIES]:
            response = b_client.get(url, query)
            visits += 1
            text = body_text(response)
            if response.status_code >= 500:
                failures.append(f"{route.name} {query} → {response.status_code}")
            # A value of the query itself may be echoed back (in the form, in links): not a leak.
            echoed = set(query.values())
            found = [m for m in tenants.a_markers if m in text and m not in echoed]
            if found:
                failures.append(f"{route.name} {query} shows A's {found}")
            b_data_seen += B_CREDIT_ID in text or "WRMC Clinical Skills" in text

    print(f"\ntenancy: {visits} visits of list pages and exports by provider B")
    assert failures == []
    assert visits >= MIN_LIST_VISITS
    assert b_data_seen, "B's own data should show somewhere, or the pages show nothing at all"


def test_it_gives_a_user_without_a_provider_404_everywhere(tenants: Tenants) -> None:
    nobody = UserFactory(username="no-provider@example.org")
    client = client_for(nobody.username)
    failures = []

    for route in provider_routes():
        for url in urls_of(route, tenants):
            status = client.get(url).status_code
            if status not in (404, 405):
                failures.append(f"{url} → {status}")

    assert failures == []


def test_it_sends_an_anonymous_visitor_to_log_in_everywhere(tenants: Tenants) -> None:
    client = Client()
    failures = []

    for route in provider_routes():
        for url in urls_of(route, tenants):
            response = client.get(url)
            if response.status_code == 405:
                continue
            if response.status_code != 302 or not response["Location"].startswith("/login/"):
                failures.append(f"{url} → {response.status_code}")

    assert failures == []


def test_it_keeps_provider_staff_out_of_the_admin(tenants: Tenants) -> None:
    client = client_for(PROVIDERS[1].staff_email)
    urls = [
        reverse("admin:index"),
        reverse("admin:uploads_upload_change", args=[tenants.a_upload.pk]),
        reverse("admin:learners_completionrecord_change", args=[tenants.a_record.pk]),
        reverse("admin:activities_activity_changelist"),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


# ---- Web services ------------------------------------------------------------------------

LEARNER_NS = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
ACTIVITY_NS = "http://schemas.datacontract.org/2004/07/BLL.Service"
SERVICES = "/services/"
B_WS = {"Password": DEMO_WS_PASSWORD, "ProviderId": B_ID, "User": PROVIDERS[1].ws_user}
A_WS = {"Password": DEMO_WS_PASSWORD, "ProviderId": A_ID, "User": PROVIDERS[0].ws_user}


def envelope(root: str, namespace: str, fields: dict[str, str]) -> str:
    """Elements in alphabetical order, as PARS's WCF binding requires."""
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in sorted(fields.items()))
    return f'<{root} xmlns="{namespace}">{inner}</{root}>'


def call(path: str, body: str) -> Any:
    return Client().post(SERVICES + path, data=body, content_type="application/xml; charset=utf-8")


def response_parts(response: Any) -> tuple[list[str], list[str], str]:
    """(StatusCodes, error Codes, Data texts joined) of a ResponseMessage or an array of them."""
    root = etree.fromstring(response.content)
    ns = etree.QName(root).namespace
    statuses = [e.text or "" for e in root.iter(f"{{{ns}}}StatusCode")]
    codes = [e.text or "" for e in root.iter(f"{{{ns}}}Code")]
    data = " ".join(e.text or "" for e in root.iter(f"{{{ns}}}Data"))
    return statuses, codes, data


def status_by_credit_id(credentials: dict[str, str], credit_id: str) -> Any:
    fields = {**credentials, "CreditId": credit_id}
    path = "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId"
    return call(path, envelope("LearnerStatusSearchByCreditId", LEARNER_NS, fields))


def status_by_learner(credentials: dict[str, str], record: CompletionRecord) -> Any:
    fields = {
        **credentials,
        "ActivityId": record.activity.activity_id,
        "BirthDay": str(record.learner.birth_day),
        "BirthMonth": str(record.learner.birth_month),
        "CompletionDate": record.completion_date.isoformat(),
        "UniqueId": record.learner.npi,
    }
    path = "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByLearner"
    return call(path, envelope("LearnerStatusSearchByLearner", LEARNER_NS, fields))


def get_activity(credentials: dict[str, str], activity_id: str) -> Any:
    fields = {**credentials, "ActivityID": activity_id, "SchemaVersion": "3"}
    path = "ACCMEService.svc/IACCMEServiceREST/GetActivity"
    return call(path, envelope("SearchCriteria", ACTIVITY_NS, fields))


def save_learner(credentials: dict[str, str], activity_id: str) -> Any:
    from tests.corpus.makers import xml, xml_report

    report = xml(
        [xml_report("ccid:tenant-b:attempt", activity=activity_id, completed="2025-06-15")]
    ).decode()
    report = report.split("?>", 1)[1].strip()
    fields = {**credentials, "Data": report, "ReportingYear": "2025"}
    path = "ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity"
    return call(path, envelope("SubmitMessage", LEARNER_NS, fields))


ACTIVITY_CHANGE = """<accme:ACCMEActivities xmlns="http://ns.medbiq.org/metrics/v2/"
 xmlns:accme="http://docs.accme.org/schemas/ACCMEActivities/v3/"
 xmlns:ex="http://www.accme.org/ACCMEActivityExtension/v3" xmlns:lom="http://ltsc.ieee.org/xsd/LOM"
 xmlns:hx="http://ns.medbiq.org/lom/extend/v1/"><MedicalEducationMetrics><ActivityDescription>
<lom:lom><lom:general>
<lom:identifier><lom:catalog>ACCME Activity ID</lom:catalog><lom:entry>{activity_id}</lom:entry></lom:identifier>
<lom:identifier><lom:catalog>Provider Activity ID</lom:catalog><lom:entry>IMU-2</lom:entry></lom:identifier>
<lom:title><lom:string>Taken over by another provider</lom:string></lom:title>
</lom:general><hx:healthcareMetadata><hx:healthcareEducation>
<hx:credits><hx:activityCertification>AMA PRA Category 1</hx:activityCertification>
<hx:numberOfCredits>10</hx:numberOfCredits></hx:credits>
<hx:startDateTime>2025-03-01</hx:startDateTime><hx:endDateTime>2025-11-30</hx:endDateTime>
<hx:activityFormat><lom:string>Course</lom:string></hx:activityFormat>
</hx:healthcareEducation></hx:healthcareMetadata></lom:lom></ActivityDescription>
<XtensibleInfo><ex:CreditClaimDate>2026-02-28</ex:CreditClaimDate>
<ex:activityRecordAction>{action}</ex:activityRecordAction>
<ex:closeActivityRecord>false</ex:closeActivityRecord></XtensibleInfo>
</MedicalEducationMetrics></accme:ACCMEActivities>"""


def save_activity(credentials: dict[str, str], activity_id: str, action: str) -> Any:
    data = ACTIVITY_CHANGE.format(activity_id=activity_id, action=action)
    fields = {**credentials, "Data": data, "ReportingYear": "2025"}
    path = "ACCMEService.svc/IACCMEServiceREST/SaveActivity"
    return call(path, envelope("SubmitMessage", ACTIVITY_NS, fields))


def test_it_answers_a_providers_ids_as_not_found_to_another_providers_web_service_account(
    tenants: Tenants,
) -> None:
    record = tenants.a_record
    before = snapshot(tenants)
    title_before = Activity.objects.get(activity_id="210015516").title

    # The owner sees its own: the same calls are not empty by construction.
    assert response_parts(status_by_credit_id(A_WS, A_CREDIT_ID))[0] != []
    assert response_parts(status_by_learner(A_WS, record))[0] != []
    assert "Internal Medicine Update 2" in response_parts(get_activity(A_WS, "210015516"))[2]

    answers = {
        "GetLearnerStatusByCreditId": status_by_credit_id(B_WS, A_CREDIT_ID),
        "GetLearnerStatusByLearner": status_by_learner(B_WS, record),
        "GetActivity": get_activity(B_WS, "210015516"),
        "SaveLearnerActivity": save_learner(B_WS, "210015516"),
        "SaveActivity Update": save_activity(B_WS, "210015516", "Update"),
        "SaveActivity Delete": save_activity(B_WS, "210015516", "Delete"),
    }

    for method, response in answers.items():
        assert response.status_code < 500, method
        assert A_CREDIT_ID not in response.content.decode(), method
    assert response_parts(answers["GetLearnerStatusByCreditId"])[0] == []
    assert response_parts(answers["GetLearnerStatusByLearner"])[0] == []
    assert "210015516" not in response_parts(answers["GetActivity"])[2]
    statuses, codes, _ = response_parts(answers["SaveLearnerActivity"])
    assert statuses == ["Rejected"] and "690" in codes
    assert "104" in response_parts(answers["SaveActivity Update"])[1]
    assert "105" in response_parts(answers["SaveActivity Delete"])[1]
    assert snapshot(tenants) == before
    assert Activity.objects.get(activity_id="210015516").title == title_before
    assert Activity.objects.get(activity_id="210015516").status != Activity.Status.CLOSED
    assert CompletionRecord.objects.get(credit_id=A_CREDIT_ID).status == RecordStatus.ACCEPTED


def test_it_refuses_another_providers_credentials_for_a_providers_id(tenants: Tenants) -> None:
    mixed = {**B_WS, "ProviderId": A_ID}

    response = status_by_credit_id(mixed, A_CREDIT_ID)

    assert response.status_code == 403
    assert response_parts(response)[1] == ["451"]
    assert A_CREDIT_ID not in response.content.decode()
