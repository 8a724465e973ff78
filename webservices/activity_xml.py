"""Render stored activities as ACCMEActivities v3, the Data of GetActivity's SearchResult."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from lxml import etree

from learners.models import Activity

ACCME = "http://docs.accme.org/schemas/ACCMEActivities/v3/"
METRICS = "http://ns.medbiq.org/metrics/v2/"
LOM = "http://ltsc.ieee.org/xsd/LOM"
HX = "http://ns.medbiq.org/lom/extend/v1/"
EX = "http://www.accme.org/ACCMEActivityExtension/v3"
NSMAP = {
    "accme": ACCME,
    "ex": EX,
    "hx": HX,
    "lom": LOM,
    "ad": "http://ns.medbiq.org/address/v1/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


def _sub(
    parent: etree._Element, namespace: str, tag: str, text: str | None = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _points(value: Decimal) -> str:
    return f"{value:.2f}"


def _day(value: date) -> str:
    return value.isoformat()


def activities_xml(activities: Sequence[Activity]) -> str:
    """One ACCMEActivities document holding a MedicalEducationMetrics per activity."""
    root = etree.Element(f"{{{ACCME}}}ACCMEActivities", nsmap=NSMAP)
    for activity in activities:
        _metrics(root, activity)
    return etree.tostring(root, encoding="unicode")


def _metrics(root: etree._Element, activity: Activity) -> None:
    mem = etree.SubElement(root, f"{{{METRICS}}}MedicalEducationMetrics", nsmap={None: METRICS})
    report = _sub(mem, METRICS, "ReportDescription")
    year = activity.reporting_year
    _sub(report, METRICS, "ReportingStartDate", _day(date(year, 1, 1)))
    _sub(report, METRICS, "ReportingEndDate", _day(date(year, 12, 31)))
    description = _sub(mem, METRICS, "ActivityDescription")
    lom = _sub(description, LOM, "lom")
    general = _sub(lom, LOM, "general")
    for catalog, entry in (
        ("ACCME Activity ID", activity.activity_id),
        ("Provider Activity ID", activity.provider_activity_id),
    ):
        identifier = _sub(general, LOM, "identifier")
        _sub(identifier, LOM, "catalog", catalog)
        _sub(identifier, LOM, "entry", entry)
    _sub(_sub(general, LOM, "title"), LOM, "string", activity.title)
    education = _sub(_sub(lom, HX, "healthcareMetadata"), HX, "healthcareEducation")
    credits = _sub(education, HX, "credits")
    _sub(credits, HX, "activityCertification", "AMA PRA Category 1")
    _sub(credits, HX, "accreditedProvider", activity.provider.name)
    _sub(credits, HX, "numberOfCredits", _points(activity.ama_credits))
    _sub(education, HX, "startDateTime", _day(activity.start_date))
    _sub(education, HX, "endDateTime", _day(activity.end_date))
    _sub(_sub(education, HX, "activityFormat"), LOM, "string", activity.format.name)
    _extension(_sub(mem, METRICS, "XtensibleInfo"), activity)


def _extension(extension: etree._Element, activity: Activity) -> None:
    registrations = _sub(extension, EX, "MOCRegistrations")
    for registration in activity.moc_registrations.all():
        entry = _sub(registrations, EX, "MOCRegistration")
        _sub(entry, EX, "boardName", registration.board.code)
        _sub(entry, EX, "mocPoints", _points(registration.points))
        for credit_type in sorted(registration.credit_types.all(), key=lambda t: t.name):
            _sub(entry, EX, "MOCCreditType", credit_type.name)
    _sub(extension, EX, "CreditClaimDate", _day(activity.credit_claim_date))
    closed = activity.status == Activity.Status.CLOSED
    _sub(extension, EX, "closeActivityRecord", "true" if closed else "false")
