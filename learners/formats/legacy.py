"""Legacy ACCMELearnerRecords v1: the flat learner record older PARS clients still send.

PARS keeps its legacy formats supported (web services guide, introduction). A record looks like::

    ar:ACCMELearnerRecords (http://docs.accme.org/schemas/ACCMELearnerRecords/v1/)
      ar:LearnerRecord: ar:FirstName, ar:LastName, ar:DateOfBirth (YYYY-MM-DD),
        ar:MedicalEducationNumber, ar:ProviderID, ar:ProviderActivityID, ar:AccmeActivityID,
        ar:DateTimeCreated, ar:CompletedDateTime, ar:CreditID (optional),
        ar:Credits/ar:Credit* (ar:CreditType "AMA PRA Category 1 Credit" | "<BOARD> <type>",
        ar:CreditAmount)

and the Learner Match request of the same schema, `ar:LearnerMatchRequest` (FirstName, LastName,
DateOfBirth, MedicalEducationNumber).

Readings (README, "Legacy records"):
- MedicalEducationNumber is the AMA Medical Education (ME) number its name says; integrators often
  put the learner's NPI there, so a value that is a valid NPI (check digit) is read as an NPI.
- ProviderActivityID, when given, names the activity (the provider's own id, as legacy PARS used);
  an AccmeActivityID that is a 9-digit ACCME Activity ID must name the same activity, one that is
  not (a placeholder such as the integration notes' `12345678`) can name no activity and is ignored.
- A record without ar:CreditID gets one from the web service (it is echoed in the answer).

This module is a pure reader: the provider's activities are looked up by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from learners.engine.codes import error
from learners.engine.npi import is_valid_npi
from learners.engine.results import RowError
from learners.engine.rows import LearnerRow
from learners.engine.values import own_id_key
from learners.formats.base import FileFormatError
from learners.formats.table import header_key
from learners.formats.xml import board_credit_values, completion_date

LEGACY_NS = "http://docs.accme.org/schemas/ACCMELearnerRecords/v1/"
RECORDS_TAG = f"{{{LEGACY_NS}}}ACCMELearnerRecords"
MATCH_TAG = f"{{{LEGACY_NS}}}LearnerMatchRequest"
RECORD_FIELDS = (
    "FirstName", "LastName", "DateOfBirth", "MedicalEducationNumber", "ProviderID",
    "ProviderActivityID", "AccmeActivityID", "DateTimeCreated", "CompletedDateTime", "CreditID",
    "Credits",
)  # fmt: skip
MATCH_FIELDS = ("FirstName", "LastName", "DateOfBirth", "MedicalEducationNumber")
CREDIT_FIELDS = ("CreditType", "CreditAmount")
# "AMA PRA Category 1 Credit", "AMA PRA Category 1 Credit(s)™", "AMA PRA Category 1": all the same.
_AMA = re.compile(r"amapracategory1(credits?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_ACCME_ACTIVITY_ID = re.compile(r"\d{9}")


@dataclass(frozen=True)
class LegacyCredit:
    credit_type: str
    amount: str


@dataclass(frozen=True)
class LegacyRecord:
    """One ar:LearnerRecord; every value a trimmed string ('' when absent)."""

    first_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    medical_education_number: str = ""
    provider_id: str = ""
    provider_activity_id: str = ""
    accme_activity_id: str = ""
    completed: str = ""
    credit_id: str = ""
    credits: tuple[LegacyCredit, ...] = field(default=())


@dataclass(frozen=True)
class LegacyMatchRequest:
    first_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    medical_education_number: str = ""


def is_legacy_records(root: etree._Element) -> bool:
    return root.tag == RECORDS_TAG


def is_legacy_match_request(root: etree._Element) -> bool:
    return root.tag == MATCH_TAG


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _values(element: etree._Element, allowed: tuple[str, ...]) -> dict[str, etree._Element]:
    """The element's children by local name; FileFormatError naming any stranger or repeat."""
    where = f"ar:{_local(element)}"
    found: dict[str, etree._Element] = {}
    for child in element.iterchildren(tag=etree.Element):
        name = _local(child)
        if etree.QName(child).namespace != LEGACY_NS or name not in allowed:
            raise FileFormatError(
                f"<{child.prefix + ':' if child.prefix else ''}{name}> is not an element of "
                f"{where} (ACCMELearnerRecords v1, namespace {LEGACY_NS}); it holds "
                f"{', '.join(allowed)}."
            )
        if name in found:
            raise FileFormatError(f"ar:{name} appears more than once in {where}.")
        found[name] = child
    return found


def _text(found: Mapping[str, etree._Element], name: str) -> str:
    element = found.get(name)
    return "" if element is None else " ".join((element.text or "").split())


def read_legacy_records(root: etree._Element) -> list[LegacyRecord]:
    """The ar:LearnerRecord elements of an ar:ACCMELearnerRecords document."""
    if not is_legacy_records(root):
        raise FileFormatError(f"Expected ar:ACCMELearnerRecords in namespace {LEGACY_NS}.")
    records = list(root.iterchildren(tag=etree.Element))
    for element in records:
        if element.tag != f"{{{LEGACY_NS}}}LearnerRecord":
            raise FileFormatError(
                f"ar:ACCMELearnerRecords may hold only ar:LearnerRecord elements, "
                f"not <{_local(element)}>."
            )
    if not records:
        raise FileFormatError("ar:ACCMELearnerRecords holds no ar:LearnerRecord.")
    return [_record(element) for element in records]


def _record(element: etree._Element) -> LegacyRecord:
    found = _values(element, RECORD_FIELDS)
    credits = []
    if "Credits" in found:
        for credit in found["Credits"].iterchildren(tag=etree.Element):
            if _local(credit) != "Credit" or etree.QName(credit).namespace != LEGACY_NS:
                raise FileFormatError("ar:Credits may hold only ar:Credit elements.")
            values = _values(credit, CREDIT_FIELDS)
            credits.append(LegacyCredit(_text(values, "CreditType"), _text(values, "CreditAmount")))
    return LegacyRecord(
        first_name=_text(found, "FirstName"),
        last_name=_text(found, "LastName"),
        date_of_birth=_text(found, "DateOfBirth"),
        medical_education_number=_text(found, "MedicalEducationNumber"),
        provider_id=_text(found, "ProviderID"),
        provider_activity_id=_text(found, "ProviderActivityID"),
        accme_activity_id=_text(found, "AccmeActivityID"),
        completed=_text(found, "CompletedDateTime"),
        credit_id=_text(found, "CreditID"),
        credits=tuple(credits),
    )


def read_legacy_match_request(root: etree._Element) -> LegacyMatchRequest:
    if not is_legacy_match_request(root):
        raise FileFormatError(f"Expected ar:LearnerMatchRequest in namespace {LEGACY_NS}.")
    found = _values(root, MATCH_FIELDS)
    return LegacyMatchRequest(
        first_name=_text(found, "FirstName"),
        last_name=_text(found, "LastName"),
        date_of_birth=_text(found, "DateOfBirth"),
        medical_education_number=_text(found, "MedicalEducationNumber"),
    )


# -- Readings ----------------------------------------------------------------------------------


def medical_education_number_ids(value: str) -> tuple[str, str]:
    """(npi, me_number) for a MedicalEducationNumber: a valid NPI is an NPI, else an ME number."""
    value = value.strip()
    if is_valid_npi(value):
        return value, ""
    return "", value


def birth_month_day(value: str) -> tuple[int, int] | None:
    """DateOfBirth 'YYYY-MM-DD' (a time part ignored) → (month, day); None if it is no date."""
    match = _ISO_DATE.fullmatch(value.strip())
    if not match:
        return None
    month, day = int(match.group(2)), int(match.group(3))
    return (month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def is_accme_activity_id(value: str) -> bool:
    return bool(_ACCME_ACTIVITY_ID.fullmatch(value.strip()))


def legacy_activity_id(
    record: LegacyRecord, *, by_provider_activity_id: Mapping[str, str]
) -> tuple[str, list[RowError]]:
    """The ACCME Activity ID the record names, or the errors that say why it names none.

    `by_provider_activity_id` maps the provider's own ids, by `own_id_key`, to ACCME Activity
    IDs (the caller looks up the record's ProviderActivityID, scoped to its provider).
    """
    accme, provider_id = record.accme_activity_id, record.provider_activity_id
    if not provider_id:
        return accme, []  # the engine judges it: 630 when missing, 690 when unknown
    found = by_provider_activity_id.get(own_id_key(provider_id))
    if found is None:
        message = (
            f"ACCME activity ID does not exist: ProviderActivityID '{provider_id}' names no "
            "activity of this provider (register it with SaveActivity first)."
        )
        return "", [RowError("690", message)]
    if is_accme_activity_id(accme) and accme != found:
        message = (
            f"AccmeActivityID {accme} and ProviderActivityID '{provider_id}' name different "
            f"activities: '{provider_id}' is ACCME Activity ID {found}."
        )
        return "", [RowError("690", message)]
    return found, []


def legacy_credit_errors(record: LegacyRecord) -> list[RowError]:
    """678 for a credit type the record gives twice, as v3 answers a repeated certificate: a row
    holds one amount per type, and keeping either would store a figure the sender may not mean.
    The AMA credit's spellings are one type."""
    seen: set[str] = set()
    errors = []
    for credit in record.credits:
        key = "ama" if is_ama_credit(credit.credit_type) else header_key(credit.credit_type)
        if key in seen:
            errors.append(error("678", certificate=credit.credit_type))
        seen.add(key)
    return errors


def legacy_row(record: LegacyRecord, *, activity_id: str, row_number: int = 1) -> LearnerRow:
    """The LearnerRow the engine judges for one legacy record (always an Add)."""
    npi, me_number = medical_education_number_ids(record.medical_education_number)
    birth = birth_month_day(record.date_of_birth)
    values: dict[str, object] = {
        "record_action": "add",
        "activity_id": activity_id,
        "completion_date": completion_date(record.completed),
        "first_name": record.first_name,
        "last_name": record.last_name,
        # An unreadable date stays as given, so the engine says what is wrong with it (719).
        "birth_date": f"{birth[0]:02d}/{birth[1]:02d}" if birth else record.date_of_birth,
        "npi": npi,
        "me_number": me_number,
        "credit_id": record.credit_id,
    }
    board_credits = []
    for credit in record.credits:
        if is_ama_credit(credit.credit_type):
            values.setdefault("cme_credits", credit.amount)
        else:
            board, _, credit_type = credit.credit_type.partition(" ")
            board_credits.append((board, credit_type.strip(), credit.amount))
    values.update(board_credit_values("", board_credits))
    return LearnerRow(row_number=row_number, **values)  # type: ignore[arg-type]


def is_ama_credit(credit_type: str) -> bool:
    return bool(_AMA.fullmatch(header_key(credit_type)))
