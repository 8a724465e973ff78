"""Write LearnerRows as an ACCMELearnerReports v3 document (the layout `xml.py` reads).

Used for generated test files and samples; `parse_learner_reports_xml` reads the result back to
rows with the same values (an NPI given in "Licensing ID or NPI" comes back as `npi`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from lxml import etree

from learners.engine.npi import is_valid_npi
from learners.engine.rows import LearnerRow
from learners.formats.xml import (
    ACCME_NS,
    AMA_CERTIFICATION,
    AR_NS,
    EX_NS,
    HX_NS,
    M_NS,
    N_NS,
)

NSMAP = {"accme": ACCME_NS, "ex": EX_NS, "ar": AR_NS, "m": M_NS, "n": N_NS, "hx": HX_NS}


def _q(prefix: str, tag: str) -> str:
    return f"{{{NSMAP[prefix]}}}{tag}"


def _add(parent: etree._Element, prefix: str, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(prefix, tag))
    if text is not None:
        element.text = text
    return element


def learner_reports_xml(
    rows: Sequence[LearnerRow], *, reporting_organization: str, provider_id: str, created: date
) -> bytes:
    """One ar:ActivityReport per row (REMS rows: one ar:Participant each)."""
    root = etree.Element(_q("accme", "ACCMELearnerReports"), nsmap=NSMAP)
    reports = _add(root, "ar", "ActivityReports")
    _add(reports, "ar", "DateTimeCreated", created.isoformat())
    for row in rows:
        report = _add(reports, "ar", "ActivityReport")
        _add(report, "ar", "ReportingOrganization", reporting_organization)
        if row.learner_local_id or row.profession:
            _participant(report, row, provider_id)
        else:
            _member(report, row)
        _activity(report, row, provider_id)
        info = _add(report, "ar", "XtensibleInfo")
        _add(info, "ex", "learnerRecordAction", row.record_action.casefold())
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _member(report: etree._Element, row: LearnerRow) -> None:
    member = _add(report, "ar", "Member")
    state, licence, npi = row.licensing_state, row.license_id, row.npi
    if not state and not npi and is_valid_npi(licence):
        licence, npi = "", licence  # "Licensing ID or NPI" held an NPI
    if state or licence:
        _add(member, "m", "UniqueID", licence).set("domain", state)
    if npi:
        _add(member, "m", "UniqueID", npi).set("domain", "NPI")
    if row.board or row.board_id:
        _add(member, "m", "UniqueID", row.board_id).set("domain", row.board)
    name = _add(member, "m", "Name")
    _add(name, "n", "GivenName", row.first_name)
    _add(name, "n", "FamilyName", row.last_name)
    info = _add(member, "m", "PersonalInfo")
    _add(info, "m", "BirthDate", _gmonthday(row.birth_date))


def _participant(report: etree._Element, row: LearnerRow, provider_id: str) -> None:
    participant = _add(_add(report, "ar", "Participants"), "ar", "Participant")
    local_id = _add(participant, "ar", "LocalIdentifier", row.learner_local_id)
    local_id.set("domain", f"idd:{provider_id}:learner")
    for tag, value in (
        ("StateOfPrimaryPractice", row.practice_state),
        ("DEARegistration", row.dea_registration),
        ("Profession", row.profession),
        ("PracticeArea", row.practice_area),
        ("SurgicalProcedures", {"Y": "true", "N": "false"}.get(row.performs_surgery.upper(), "")),
        ("TimeInPractice", row.time_in_practice),
    ):
        if value:
            _add(participant, "ar", tag, value)


def _activity(report: etree._Element, row: LearnerRow, provider_id: str) -> None:
    activity = _add(report, "ar", "Activity")
    _add(activity, "ar", "ProviderOrganization", provider_id)
    _add(activity, "ar", "ActivityName", row.activity_id)
    module = _add(activity, "ar", "Module")
    _add(module, "ar", "ModuleName", row.activity_id).set("moduleID", row.activity_id)
    _add(module, "ar", "Status", "Completed")
    _add(module, "ar", "CompletedDateTime", _iso_date(row.completion_date))
    for number, (certification, points) in enumerate(_certificates(row)):
        certificate = _add(module, "ar", "CreditCertificate")
        received = _add(certificate, "ar", "CreditReceived")
        _add(received, "hx", "activityCertification", certification)
        _add(received, "hx", "creditUnit", "Point")
        _add(received, "hx", "numberOfCredits", points)
        if row.credit_id:
            suffix = f"-{number}" if number else ""
            _add(certificate, "ar", "CreditID", row.credit_id + suffix)


def _certificates(row: LearnerRow) -> list[tuple[str, str]]:
    certificates = [(AMA_CERTIFICATION, row.cme_credits)] if row.cme_credits else []
    types = [
        (credit_type, points)
        for credit_type, points in (
            (row.credit_type, row.credit_type_points),
            (row.additional_credit_type, row.additional_credit_type_points),
            *row.extra_credit_types,
        )
        if credit_type
    ]
    if types:
        certificates += [(f"{row.board} {credit_type}", points) for credit_type, points in types]
    elif row.board:
        certificates.append((row.board, row.board_points))
    if not certificates and row.credit_id:
        certificates.append((AMA_CERTIFICATION, ""))  # somewhere to carry the Credit ID
    return certificates


def _iso_date(value: str) -> str:
    """'07/06/2021' → '2021-07-06'; anything else as given (a generated bad date stays bad)."""
    parts = value.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        return f"{parts[2]}-{int(parts[0]):02d}-{int(parts[1]):02d}"
    return value


def _gmonthday(value: str) -> str:
    """'10/30' → '--10-30' (xsd:gMonthDay: the directory keeps no birth year)."""
    parts = value.split("/")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"--{int(parts[0]):02d}-{int(parts[1]):02d}"
    return value
