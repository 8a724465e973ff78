"""ACCMEActivities v3 out: GetActivity's Data, sample and test files.

Written from `ActivityInput`s, the one shape every door reads into, so a written file reads back
to the same values. Element order follows MEMS and the guide's GetActivity sample; everything the
portal keeps is written, including what PARS's sample shows only in part (location, joint
providers, REMS, the status).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from lxml import etree

from activities.inputs import ActivityInput, input_from_activity
from activities.models import Activity, ActivityStatus
from activities.rules import parse_activity_date

ACCME = "http://docs.accme.org/schemas/ACCMEActivities/v3/"
METRICS = "http://ns.medbiq.org/metrics/v2/"
LOM = "http://ltsc.ieee.org/xsd/LOM"
HX = "http://ns.medbiq.org/lom/extend/v1/"
EX = "http://www.accme.org/ACCMEActivityExtension/v3"
AD = "http://ns.medbiq.org/address/v1/"
NSMAP = {
    "accme": ACCME,
    "ex": EX,
    "hx": HX,
    "lom": LOM,
    "ad": AD,
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
STATUS_LABELS = dict(ActivityStatus.choices)


def _sub(
    parent: etree._Element, namespace: str, tag: str, text: str | None = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    if text is not None:
        element.text = text
    return element


def activities_xml(items: Sequence[ActivityInput], *, provider_name: str = "") -> str:
    """One ACCMEActivities document holding a MedicalEducationMetrics per activity."""
    root = etree.Element(f"{{{ACCME}}}ACCMEActivities", nsmap=NSMAP)
    for item in items:
        _metrics(root, item, provider_name)
    return etree.tostring(root, encoding="unicode")


def _metrics(root: etree._Element, item: ActivityInput, provider_name: str) -> None:
    mem = etree.SubElement(root, f"{{{METRICS}}}MedicalEducationMetrics", nsmap={None: METRICS})
    start, _ = parse_activity_date(item.start_date)
    year = int(item.reporting_year) if item.reporting_year.isdigit() else start.year if start else 0
    if year:
        report = _sub(mem, METRICS, "ReportDescription")
        _sub(report, METRICS, "ReportingStartDate", date(year, 1, 1).isoformat())
        _sub(report, METRICS, "ReportingEndDate", date(year, 12, 31).isoformat())
    description = _sub(mem, METRICS, "ActivityDescription")
    lom = _sub(description, LOM, "lom")
    _general(_sub(lom, LOM, "general"), item)
    _education(
        _sub(_sub(lom, HX, "healthcareMetadata"), HX, "healthcareEducation"), item, provider_name
    )
    if item.physicians or item.other_learners:
        participation = _sub(mem, METRICS, "ParticipationMetrics")
        for category, value in (
            ("physician", item.physicians),
            ("non-physician", item.other_learners),
        ):
            if value:
                _sub(participation, METRICS, "ParticipantsByCategory", value).set(
                    "category", category
                )
    _extension(_sub(mem, METRICS, "XtensibleInfo"), item)


def _general(general: etree._Element, item: ActivityInput) -> None:
    for catalog, entry in (
        ("ACCME Activity ID", item.accme_activity_id),
        ("Provider Activity ID", item.provider_activity_id),
        ("URL", item.url),
    ):
        if entry or catalog != "URL":
            identifier = _sub(general, LOM, "identifier")
            _sub(identifier, LOM, "catalog", catalog)
            _sub(identifier, LOM, "entry", entry)
    _sub(_sub(general, LOM, "title"), LOM, "string", item.title)
    if item.description:
        _sub(_sub(general, LOM, "description"), LOM, "string", item.description)


def _education(education: etree._Element, item: ActivityInput, provider_name: str) -> None:
    if item.ama_credits:
        credits = _sub(education, HX, "credits")
        _sub(credits, HX, "activityCertification", "AMA PRA Category 1")
        if provider_name:
            _sub(credits, HX, "accreditedProvider", provider_name)
        _sub(credits, HX, "numberOfCredits", item.ama_credits)
    if item.specialties:
        audience = _sub(education, HX, "targetAudience")
        for name in item.specialties:
            _sub(_sub(audience, HX, "specialty"), LOM, "string", name)
    if item.city or item.state or item.country:
        location = _sub(education, HX, "activityLocation")
        for tag, value in (
            ("City", item.city),
            ("StateOrProvince", item.state),
            ("Country", item.country),
        ):
            if value:
                _sub(location, AD, tag, value)
    for tag, value in (("startDateTime", item.start_date), ("endDateTime", item.end_date),
                       ("activitySponsorship", item.providership)):  # fmt: skip
        if value:
            _sub(education, HX, tag, value)
    _sub(_sub(education, HX, "activityFormat"), LOM, "string", item.format_name)
    if item.commercial_support:
        _sub(education, HX, "commercialSupport", item.commercial_support)


def _extension(extension: etree._Element, item: ActivityInput) -> None:
    registrations = _sub(extension, EX, "MOCRegistrations")
    for moc in item.moc:
        entry = _sub(registrations, EX, "MOCRegistration")
        _sub(entry, EX, "boardName", moc.board)
        _sub(entry, EX, "mocPoints", moc.points)
        for name in moc.credit_types:
            _sub(entry, EX, "MOCCreditType", name)
        if moc.practice_area:
            _sub(entry, EX, "PracticeArea", moc.practice_area)
    if item.joint_providers:
        joint = _sub(extension, EX, "JointProviders")
        for name in item.joint_providers:
            _sub(joint, EX, "JointProvider", name)
    if item.rems:
        _sub(
            extension, EX, "REMSType", "Opioid Analgesic REMS" if item.rems == "yes" else item.rems
        )
    if item.credit_claim_date:
        _sub(extension, EX, "CreditClaimDate", item.credit_claim_date)
    if item.status in STATUS_LABELS:
        _sub(extension, EX, "ActivityStatus", STATUS_LABELS[item.status])
    if item.action:
        _sub(extension, EX, "activityRecordAction", item.action)
    closed = item.status == ActivityStatus.CLOSED or item.close.casefold() == "true"
    _sub(extension, EX, "closeActivityRecord", "true" if closed else "false")


def stored_activities_xml(activities: Sequence[Activity]) -> str:
    """GetActivity's Data: the stored activities (prefetched with services.with_registrations)."""
    items = [input_from_activity(activity) for activity in activities]
    provider_name = activities[0].provider.name if activities else ""
    return activities_xml(
        [dataclasses.replace(i, action="") for i in items], provider_name=provider_name
    )
