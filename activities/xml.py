"""ACCMEActivities v3 in: SaveActivity's Data (exactly one activity) and batch files (many).

Each MedicalEducationMetrics element becomes an `ActivityInput` of plain strings; nothing is
judged here. Elements are found by local name, so a namespace slip (PARS's own samples carry a
few) doesn't lose a value. A file whose MEMS parts sit directly under MedicalEducationMetrics
(no ActivityDescription, as some integrations write it) is read the same way when that is the
only place they are; lom:lom in both places is refused as ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from activities.facts import ActivityError
from activities.inputs import ActivityInput, MocInput
from learners.engine.codes import CODES
from learners.formats.base import (
    FileFormatError,
    UnreadableXml,
    check_record_count,
    check_size,
    parse_untrusted_xml,
)

ACCME_ID_CATALOG = "accme activity id"
PROVIDER_ID_CATALOG = "provider activity id"
URL_CATALOG = "url"
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class ActivityDataError(Exception):
    """SaveActivity's Data is not one readable ACCMEActivities activity (453 or 454)."""

    def __init__(self, error: ActivityError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class ParsedActivity:
    root: etree._Element
    input: ActivityInput
    accme_entry: etree._Element | None  # the lom:entry that carries (or will carry) the ACCME id
    general: etree._Element | None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [c for c in element.iterchildren(tag=etree.Element) if _local(c) == name]


def _path(element: etree._Element | None, *names: str) -> etree._Element | None:
    """The one element down `names`; two where one is read would leave the value to chance."""
    for name in names:
        found = _children(element, name)
        if len(found) > 1:
            assert element is not None
            raise _unreadable(
                f"{_local(element)} holds {len(found)} {name} elements (line "
                f"{found[1].sourceline}); it takes one."
            )
        element = found[0] if found else None
    return element


def _once(name: str, value: str, seen: set[str], where: etree._Element) -> None:
    """Refuse a second element for what one element says (an identifier's catalog, a count)."""
    if value in seen:
        raise _given_twice(name, where)
    seen.add(value)


def _given_twice(name: str, where: etree._Element) -> ActivityDataError:
    return _unreadable(f"{name} is given twice (line {where.sourceline}); give it once.")


def _text(element: etree._Element | None) -> str:
    return "" if element is None else " ".join((element.text or "").split())


def _unreadable(detail: str) -> ActivityDataError:
    message = f"{CODES['453'].pars_message} {detail}"
    return ActivityDataError(ActivityError("453", message))


def parse_activity_xml(data: str) -> ParsedActivity:
    """SaveActivity's Data: ACCMEActivities v3 with exactly one activity, or ActivityDataError."""
    # Data arrives as decoded text; a leftover encoding declaration must not confuse the parser.
    raw = _DECLARATION.sub("", data, count=1).strip().encode("utf-8")
    if not raw:
        raise _unreadable("The Data element is empty.")
    try:
        root = parse_untrusted_xml(raw)
    except UnreadableXml as exc:
        raise _unreadable(f"It {exc.problem}.") from None
    if _local(root) != "ACCMEActivities":
        raise _unreadable(f"Expected an ACCMEActivities document, not '{_local(root)}'.")
    metrics = _children(root, "MedicalEducationMetrics")
    if not metrics:
        raise _unreadable("ACCMEActivities holds no MedicalEducationMetrics (the activity).")
    if len(metrics) > 1:
        message = f"{CODES['454'].pars_message} This Data holds {len(metrics)}."
        raise ActivityDataError(ActivityError("454", message))
    return read_metrics(root, metrics[0])


def read_activities_xml(data: bytes) -> list[ActivityInput]:
    """A batch file: ACCMEActivities v3 holding one MedicalEducationMetrics per activity."""
    check_size(data)
    try:
        root = parse_untrusted_xml(data)
    except UnreadableXml as exc:
        raise FileFormatError(f"The file {exc.problem}.") from None
    if _local(root) != "ACCMEActivities":
        raise FileFormatError(
            f"The file's root element is '{_local(root)}'; an activity file is an "
            "ACCMEActivities document (as SaveActivity's Data). A learner file belongs under "
            "“Learners”."
        )
    metrics = _children(root, "MedicalEducationMetrics")
    check_record_count(len(metrics), what="activities (MedicalEducationMetrics elements)")
    items = []
    for number, mem in enumerate(metrics, start=1):
        try:
            items.append(read_metrics(root, mem, row_number=number).input)
        except ActivityDataError as exc:
            raise FileFormatError(f"Activity {number} of the file: {exc.error.message}") from None
    return items


def _lom(mem: etree._Element) -> etree._Element | None:
    """Where lom:lom sits: in ActivityDescription, as MEMS puts it, or directly under
    MedicalEducationMetrics, as some clients write it; either is read when only one is there."""
    described = _children(mem, "ActivityDescription")
    direct = _children(mem, "lom")
    if described and direct:
        raise _unreadable(
            "MedicalEducationMetrics holds lom:lom both directly and in ActivityDescription; "
            "send it once, in ActivityDescription."
        )
    if len(described) > 1 or len(direct) > 1:
        raise _unreadable("MedicalEducationMetrics must hold one ActivityDescription (lom:lom).")
    return _path(described[0], "lom") if described else (direct[0] if direct else None)


def read_metrics(
    root: etree._Element, mem: etree._Element, *, row_number: int = 0
) -> ParsedActivity:
    lom = _lom(mem)
    general = _path(lom, "general")
    ids: dict[str, str] = {}
    accme_entry = None
    for identifier in _children(general, "identifier"):
        catalog = _text(_path(identifier, "catalog")).casefold()
        entry = _path(identifier, "entry")
        _once(f"The identifier of catalog '{catalog}'", catalog, set(ids), identifier)
        if catalog == ACCME_ID_CATALOG:
            accme_entry = entry
        ids[catalog] = _text(entry)
    education = _path(lom, "healthcareMetadata", "healthcareEducation")
    extension = _path(mem, "XtensibleInfo")
    item = ActivityInput(
        row_number=row_number,
        action=_text(_path(extension, "activityRecordAction")),
        close=_text(_path(extension, "closeActivityRecord")),
        accme_activity_id=ids.get(ACCME_ID_CATALOG, ""),
        provider_activity_id=ids.get(PROVIDER_ID_CATALOG, ""),
        url=ids.get(URL_CATALOG, ""),
        title=_text(_path(general, "title", "string")),
        description=_text(_path(general, "description", "string")),
        **_education(education),
        credit_claim_date=_text(_path(extension, "CreditClaimDate")),
        **_participants(_path(mem, "ParticipationMetrics")),
        joint_providers=tuple(
            _text(e) for e in _children(_path(extension, "JointProviders"), "JointProvider")
        ),
        rems=_text(_path(extension, "REMSType")) or _text(_path(extension, "REMS")),
        moc=tuple(
            MocInput(
                board=_text(_path(r, "boardName")),
                points=_text(_path(r, "mocPoints")),
                credit_types=tuple(_text(t) for t in _children(r, "MOCCreditType")),
                practice_area=_text(_path(r, "PracticeArea")),
            )
            for r in _children(_path(extension, "MOCRegistrations"), "MOCRegistration")
        ),
    )
    return ParsedActivity(root=root, input=item, accme_entry=accme_entry, general=general)


def _education(education: etree._Element | None) -> dict[str, Any]:
    location = _path(education, "activityLocation")
    country = _path(location, "Country")
    return {
        "ama_credits": _ama_credits(education),
        "specialties": tuple(
            _text(_path(s, "string")) or _text(s)
            for s in _children(_path(education, "targetAudience"), "specialty")
        ),
        "city": _text(_path(location, "City")),
        "state": _text(_path(location, "StateOrProvince")),
        "country": _text(_path(country, "CountryCode")) or _text(country),
        "start_date": _text(_path(education, "startDateTime")),
        "end_date": _text(_path(education, "endDateTime")),
        "providership": _text(_path(education, "activitySponsorship")),
        "format_name": _text(_path(education, "activityFormat", "string")),
        "commercial_support": _text(_path(education, "commercialSupport")),
    }


def _ama_credits(education: etree._Element | None) -> str:
    """The numberOfCredits of the AMA PRA Category 1 credits block ('' when there is none)."""
    found = [
        credits
        for credits in _children(education, "credits")
        if _text(_path(credits, "activityCertification")).casefold() == "ama pra category 1"
    ]
    if len(found) > 1:
        raise _given_twice("The AMA PRA Category 1 credits", found[1])
    return _text(_path(found[0], "numberOfCredits")) if found else ""


def _participants(metrics: etree._Element | None) -> dict[str, Any]:
    """ParticipantsByCategory: the guide's category="physician" form, or MEMS's CategoryName."""
    found: dict[str, Any] = {"physicians": "", "other_learners": ""}
    seen: set[str] = set()
    for element in _children(metrics, "ParticipantsByCategory"):
        category = (element.get("category") or _text(_path(element, "CategoryName"))).casefold()
        number = _text(_path(element, "Number")) or _text(element)
        if category == "physician":
            _once("The number of physicians", "physicians", seen, element)
            found["physicians"] = number
        elif category in ("non-physician", "nonphysician", "other"):
            _once("The number of other learners", "other_learners", seen, element)
            found["other_learners"] = number
    return found


def echo_with_activity_id(parsed: ParsedActivity, activity_id: str) -> str:
    """The Data as sent, with the assigned ACCME Activity ID filled in (as PARS's response does)."""
    entry = parsed.accme_entry
    if entry is None and parsed.general is not None:
        namespace = etree.QName(parsed.general).namespace
        identifier = etree.SubElement(parsed.general, f"{{{namespace}}}identifier")
        etree.SubElement(identifier, f"{{{namespace}}}catalog").text = "ACCME Activity ID"
        entry = etree.SubElement(identifier, f"{{{namespace}}}entry")
    if entry is not None:
        entry.text = activity_id
    return etree.tostring(parsed.root, encoding="unicode")
