"""Legacy ACCMELearnerRecords v1 at SaveLearnerActivity: the reader plus the caller's provider.

`learners/formats/legacy.py` reads the record; here its ProviderActivityID is looked up among the
caller's activities, its ProviderID checked against the caller, and a missing Credit ID assigned
(before the engine judges it, so the answer echoes the Credit ID to look the record up by).
"""

from __future__ import annotations

import uuid

from lxml import etree

from activities.models import Activity
from learners.engine.results import RowError
from learners.engine.values import own_id_key
from learners.formats.base import FileFormatError
from learners.formats.legacy import (
    LEGACY_NS,
    LegacyRecord,
    is_accme_activity_id,
    is_legacy_records,
    legacy_activity_id,
    legacy_credit_errors,
    legacy_row,
    medical_education_number_ids,
    read_legacy_records,
)
from learners.formats.xml import ParsedReport, activity_reports_of, parse_xml
from portal.models import Provider
from webservices.auth import names_provider


def learner_reports_read(data: bytes, *, provider: Provider) -> list[ParsedReport]:
    """The ActivityReports of ACCMELearnerReports v3 Data, or a report per legacy v1 record."""
    root = parse_xml(data)
    if not is_legacy_records(root):
        return activity_reports_of(root)
    records = read_legacy_records(root)
    if len(records) != 1:
        message = (
            f"XML is Invalid: SaveLearnerActivity takes exactly 1 ar:LearnerRecord; this Data "
            f"holds {len(records)}. Send each learner record in its own call."
        )
        return [ParsedReport(1, root.sourceline, (), (), errors=(RowError("738", message),))]
    return [_legacy_report(records[0], provider=provider, line=root.sourceline)]


def _legacy_report(record: LegacyRecord, *, provider: Provider, line: int | None) -> ParsedReport:
    errors = _provider_errors(record, provider)
    ids = _provider_activity_ids(provider, record.provider_activity_id)
    activity_id, activity_errors = legacy_activity_id(record, by_provider_activity_id=ids)
    errors.extend(activity_errors)
    errors.extend(legacy_credit_errors(record))
    problems = () if record.credit_id else ("650",)
    row = legacy_row(record, activity_id=activity_id)
    return ParsedReport(1, line, (row,), problems, errors=tuple(errors))


def _provider_errors(record: LegacyRecord, provider: Provider) -> list[RowError]:
    given = record.provider_id
    if not given or names_provider(given, provider):
        return []
    message = (
        f"Invalid User: Access Denied: the record's ProviderID {given} is not the provider of "
        f"these credentials ({provider.accme_id})."
    )
    return [RowError("451", message)]


def _provider_activity_ids(provider: Provider, provider_activity_id: str) -> dict[str, str]:
    if not provider_activity_id:
        return {}
    found = (
        Activity.objects.for_provider(provider)
        .with_provider_activity_ids([provider_activity_id])
        .values_list("provider_activity_id", "activity_id")
    )
    return {own_id_key(own_id): activity_id for own_id, activity_id in found}


def new_credit_id() -> str:
    return f"pars-portal:{uuid.uuid4().hex}"


def legacy_record_prepare(data: bytes) -> tuple[str | None, list[str]]:
    """Give a legacy record without ar:CreditID one; say how its ids are read.

    Returns the Data to judge and echo (None: unchanged) and notes for the Warning header and the
    request log. Anything that is not a readable legacy record is left to the reader to refuse.
    """
    if LEGACY_NS.encode() not in data:
        return None, []
    try:
        root = parse_xml(data)
        records = read_legacy_records(root) if is_legacy_records(root) else []
    except FileFormatError:
        return None, []
    if len(records) != 1:
        return None, []
    notes = _reading_notes(records[0])
    if records[0].credit_id:
        return None, notes
    credit_id = new_credit_id()
    _insert_credit_id(root[0], credit_id)
    notes.append(
        f"The record has no ar:CreditID: it was given Credit ID {credit_id} (echoed in Data); "
        "look its status up by it."
    )
    return etree.tostring(root, encoding="unicode"), notes


def _insert_credit_id(record: etree._Element, credit_id: str) -> None:
    for existing in record.iterchildren(f"{{{LEGACY_NS}}}CreditID"):
        record.remove(existing)  # an empty one
    element = etree.Element(f"{{{LEGACY_NS}}}CreditID")
    element.text = credit_id
    credits = next(record.iterchildren(f"{{{LEGACY_NS}}}Credits"), None)
    if credits is None:
        record.append(element)
    else:
        credits.addprevious(element)


def _reading_notes(record: LegacyRecord) -> list[str]:
    notes = []
    accme, provider_activity_id = record.accme_activity_id, record.provider_activity_id
    if provider_activity_id and accme and not is_accme_activity_id(accme):
        notes.append(
            f"AccmeActivityID '{accme}' is not an ACCME Activity ID (9 digits) and names no "
            f"activity: the activity is the one ProviderActivityID '{provider_activity_id}' names."
        )
    number = record.medical_education_number
    npi, me_number = medical_education_number_ids(number)
    if me_number:
        notes.append(
            f"MedicalEducationNumber {number} is not a valid NPI (its check digit fails): it is "
            "matched as the learner's AMA ME number."
        )
    elif npi:
        notes.append(f"MedicalEducationNumber {number} is a valid NPI: it is matched as the NPI.")
    return notes
