"""SaveActivity reads lom:lom directly under MedicalEducationMetrics, as the integration notes
write it, when that is the only place it is: the same activity as in ActivityDescription."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from activities.models import Activity
from portal.models import Provider
from tests.webservices.conftest import (
    ACTIVITY_NS,
    SAVE_ACTIVITY,
    codes,
    fixture,
    messages,
    post,
    status_code,
    submit,
)

pytestmark = pytest.mark.django_db


def this_year(data: str) -> str:
    """The guide's activity (of 2021), rescheduled into the sandbox's open reporting year."""
    return data.replace("2021-", "2026-")


def flattened(data: str) -> str:
    """The guide's activity with ActivityDescription's contents moved up a level."""
    data = re.sub(r"<CommercialSupportAmount[^>]*>[^<]*</CommercialSupportAmount>", "", data)
    return data.replace("<ActivityDescription>", "").replace("</ActivityDescription>", "")


def save(ws: Client, data: str) -> object:
    return post(ws, SAVE_ACTIVITY, submit(data, namespace=ACTIVITY_NS, reporting_year="2026"))


def test_it_reads_lom_directly_under_medical_education_metrics(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, flattened(this_year(fixture("activity_add.xml"))))
    assert status_code(response) == "Accepted", messages(response)
    activity = Activity.objects.get(provider=sandbox, provider_activity_id="addactivityexample")
    assert (activity.title, activity.format.name) == ("Internal Medicine Manuscript", "Manuscript Review")  # fmt: skip
    assert str(activity.ama_credits) == "28.00"


def test_it_refuses_lom_in_both_places_as_ambiguous(sandbox: Provider, ws: Client) -> None:
    data = this_year(fixture("activity_add.xml"))
    lom = re.search(r"<lom:lom>.*</lom:lom>", data, re.S).group(0)  # type: ignore[union-attr]
    both = data.replace("<ActivityDescription>", f"{lom}<ActivityDescription>")
    response = save(ws, both)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert codes(response) == ["453"]
    assert "holds lom:lom both directly and in ActivityDescription" in messages(response)[0]
    assert not Activity.objects.filter(provider_activity_id="addactivityexample").exists()
