"""Helpers for the web-service tests: the sandbox, the guide's samples and envelope builders."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.test.client import Client as DjangoClient
from lxml import etree

from learners.sandbox import seed_sandbox
from portal.models import Provider
from webservices.auth import forget_verified

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 22)
# The guide's SaveActivity sample is of 2021, a reporting year open until 31 March 2023.
GUIDE_YEAR_OPEN = datetime(2022, 6, 1, 10, tzinfo=ZoneInfo("America/Chicago"))
ACTIVITY_NS = "http://schemas.datacontract.org/2004/07/BLL.Service"
LEARNER_NS = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML = "application/xml; charset=utf-8"
USER, PASSWORD, PROVIDER_ID = "ws@aaa-test.org", "pars-ws-demo", "0001234"
OTHER_USER, OTHER_PROVIDER_ID = "ws@wrmc.org", "0005678"

BASE = "/services/"
SAVE_ACTIVITY = BASE + "ACCMEService.svc/IACCMEServiceREST/SaveActivity"
GET_ACTIVITY = BASE + "ACCMEService.svc/IACCMEServiceREST/GetActivity"
SAVE_LEARNER = BASE + "ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity"
BY_LEARNER = BASE + "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByLearner"
BY_CREDIT_ID = BASE + "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId"
LEARNER_MATCH = BASE + "LearnerMatchService.svc/ILearnerMatchServiceREST/GetLearnerMatch"
LEARNER_MATCH_REQUEST = (
    BASE + "ACCMELearnerService.svc/IACCMELearnerServiceREST/LearnerMatchRequest"
)
ALL_PATHS = (
    SAVE_ACTIVITY,
    GET_ACTIVITY,
    SAVE_LEARNER,
    BY_LEARNER,
    BY_CREDIT_ID,
    LEARNER_MATCH,
    LEARNER_MATCH_REQUEST,
)


@pytest.fixture(autouse=True)
def frozen_today() -> Any:
    """The sandbox is seeded relative to today: fix today so the guide's dates stay valid."""
    moment = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def fast_password_hashes(settings: Any) -> None:
    """The sandbox hashes four passwords; the production hasher's cost is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_credentials_cache() -> Any:
    forget_verified()
    yield
    forget_verified()


@pytest.fixture
def sandbox(db: None) -> Provider:
    """The seeded sandbox; returns provider 0001234 (AAA Test Organization)."""
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id=PROVIDER_ID)


@pytest.fixture
def ws() -> DjangoClient:
    return Client()


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def post(client: DjangoClient, path: str, body: str | bytes, content_type: str = XML) -> Any:
    return client.post(path, data=body, content_type=content_type)


def envelope(root: str, namespace: str, fields: dict[str, str | None]) -> str:
    """An envelope with `fields` in the given order (None leaves the element out)."""
    inner = "".join(
        f"<{name}>{escape(value)}</{name}>" for name, value in fields.items() if value is not None
    )
    return f'<{root} xmlns="{namespace}">{inner}</{root}>'


def submit(
    data: str,
    *,
    namespace: str,
    reporting_year: str | None = "2021",
    user: str = USER,
    password: str = PASSWORD,
    provider_id: str = PROVIDER_ID,
) -> str:
    """A SubmitMessage carrying `data` HTML-encoded, its elements in alphabetical order."""
    fields: dict[str, str | None] = {
        "Data": data,
        "Password": password,
        "ProviderId": provider_id,
        "ReportingYear": reporting_year,
        "User": user,
    }
    return envelope("SubmitMessage", namespace, fields)


def xml(response: Any) -> etree._Element:
    assert response["Content-Type"] == XML, response["Content-Type"]
    return etree.fromstring(response.content)


def child(element: etree._Element, name: str) -> etree._Element:
    found = [c for c in element if etree.QName(c).localname == name]
    assert len(found) == 1, f"{name} in {[etree.QName(c).localname for c in element]}"
    return found[0]


def codes(response: Any) -> list[str]:
    root = xml(response)
    return [element.text or "" for element in root.iter(f"{{{etree.QName(root).namespace}}}Code")]


def messages(response: Any) -> list[str]:
    root = xml(response)
    return [
        element.text or "" for element in root.iter(f"{{{etree.QName(root).namespace}}}Message")
    ]


def status_code(response: Any) -> str:
    """The StatusCode of a ResponseMessage (or of the first in an ArrayOfResponseMessage)."""
    root = xml(response)
    found = root.find(f".//{{{etree.QName(root).namespace}}}StatusCode")
    assert found is not None
    return found.text or ""


def shape(element: etree._Element) -> tuple:
    """Tag, namespace, nil flag and children's shapes: what a client's deserializer relies on."""
    nil = element.get(f"{{{XSI_NS}}}nil") == "true"
    qname = etree.QName(element)
    kids = tuple(shape(c) for c in element if qname.localname != "Data")
    return (qname.namespace, qname.localname, nil, kids)


def parse_data(response: Any) -> etree._Element:
    """The record XML carried (HTML-encoded) in the response's Data element."""
    data = child(xml(response), "Data").text or ""
    return etree.fromstring(data.encode("utf-8"))
