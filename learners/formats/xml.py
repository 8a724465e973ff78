"""ACCMELearnerReports v3 XML (batch `.xml` files and the SaveLearnerActivity web service).

Layout (the `SaveLearnerActivity` sample of the PARS web services guide)::

    accme:ACCMELearnerReports / ar:ActivityReports / ar:ActivityReport*
      ar:Member: m:UniqueID@domain (NPI | a 2-letter state: licence | a board: diplomate id),
                 m:Name/n:GivenName, n:FamilyName, m:PersonalInfo/m:BirthDate
      ar:Participants/ar:Participant* (REMS, de-identified: MedBiquitous ActivityReport v2)
      ar:Activity: ar:ActivityName, ar:Module/ar:ModuleName@moduleID (the ACCME Activity ID),
                 ar:CompletedDateTime, ar:CreditCertificate* (ar:CreditReceived/
                 hx:activityCertification "AMA PRA Category 1" | "<BOARD> <credit type>",
                 hx:numberOfCredits; ar:CreditID)
      ar:XtensibleInfo/ex:learnerRecordAction (add | delete)

A bare `ar:ActivityReports` root (MedBiquitous's own REMS sample) is read too.

Each ActivityReport gives one LearnerRow, or one per REMS `ar:Participant`; `row_number` counts
rows through the file (for board reports it is the ActivityReport's position). Dates become the
file columns' forms: completion `MM/DD/YYYY`, birth date `MM/DD`; anything unrecognised is kept
as given for the rules to judge.

For the web services, which need exactly one of each node (codes 738-745):
`parse_activity_reports(data)` returns a `ParsedReport` per ActivityReport with its rows and
`problems` (from `structure_problems(element)`: 738 Activity, 739 Module, 740 Member, 741 Name,
742 BirthDate, 743 UniqueID (none, or one domain given twice), 744 XtensibleInfo, 745
Participants; REMS reports, those with `ar:Participants`, are checked for 745 instead of 740-743).

Parsing is hardened: no DTD (a DOCTYPE or ENTITY declaration is refused outright, which stops
XXE and "billion laughs"), no entity resolution, no network, no huge trees, a byte cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

from learners.engine.results import RowError
from learners.engine.rows import Certificate, LearnerRow
from learners.engine.states import state_code
from learners.engine.values import format_date, parse_birth, parse_iso_date
from learners.formats.base import (
    FileFormatError,
    UnreadableXml,
    check_record_count,
    check_size,
    parse_untrusted_xml,
)
from learners.formats.table import header_key

ACCME_NS = "http://docs.accme.org/schemas/ACCMELearnerReports/v3/"
EX_NS = "http://docs.accme.org/schemas/ACCMELearnerReportExtension/v3/"
AR_NS = "http://ns.medbiq.org/activityreport/v2/"
M_NS = "http://ns.medbiq.org/member/v2/"
N_NS = "http://ns.medbiq.org/name/v2/"
HX_NS = "http://ns.medbiq.org/lom/extend/v1/"
NS = {"accme": ACCME_NS, "ex": EX_NS, "ar": AR_NS, "m": M_NS, "n": N_NS, "hx": HX_NS}

ROOT_TAG = f"{{{ACCME_NS}}}ACCMELearnerReports"
REPORTS_TAG = f"{{{AR_NS}}}ActivityReports"
AMA_CERTIFICATION = "AMA PRA Category 1"

_MONTH_DAY = re.compile(r"\d{1,2}-\d{1,2}")


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """One ar:ActivityReport: its rows and its structure problems (codes 738-745)."""

    number: int  # 1-based position among the ActivityReports
    line: int | None  # source line of the element
    rows: tuple[LearnerRow, ...]
    problems: tuple[str, ...]
    rems: bool = False  # it holds ar:Participants: de-identified REMS learners
    # Problems that need their own words (a legacy record's activity ids that disagree, …).
    errors: tuple[RowError, ...] = ()


def parse_xml(data: bytes) -> etree._Element:
    """The document's root, read by the one untrusted-XML reader; FileFormatError if it can't be."""
    check_size(data)
    try:
        return parse_untrusted_xml(data)
    except UnreadableXml as exc:
        raise FileFormatError(f"The file {exc.problem}.") from None


def activity_report_elements(root: etree._Element) -> list[etree._Element]:
    """The ar:ActivityReport elements, after checking the root element and its namespace."""
    if root.tag == ROOT_TAG:
        containers = _all(root, "ar:ActivityReports")
        if len(containers) != 1:
            raise FileFormatError(
                "accme:ACCMELearnerReports must hold exactly one ar:ActivityReports element "
                f"(namespace {AR_NS}); found {len(containers)}."
            )
        container = containers[0]
    elif root.tag == REPORTS_TAG:
        container = root
    else:
        qname = etree.QName(root)
        where = f"namespace '{qname.namespace}'" if qname.namespace else "no namespace"
        raise FileFormatError(
            f"The XML root element is <{qname.localname}> in {where}; expected "
            f"<accme:ACCMELearnerReports> in namespace '{ACCME_NS}'."
        )
    return _all(container, "ar:ActivityReport")


def structure_problems(report: etree._Element, *, program: str = "board") -> list[str]:
    """Codes 738-745 for the nodes a single web-service ActivityReport must hold exactly once."""
    problems: list[str] = []
    activities = _all(report, "ar:Activity")
    if len(activities) != 1:
        problems.append("738")
    if len(_all(report, "ar:Activity/ar:Module")) != 1:
        problems.append("739")
    participants = _all(report, "ar:Participants")
    if program == "rems" or participants:
        if len(participants) != 1:
            problems.append("745")
    else:
        problems.extend(_member_problems(report))
    if len(_all(report, "ar:XtensibleInfo")) != 1:
        problems.append("744")
    return problems


def _member_problems(report: etree._Element) -> list[str]:
    members = _all(report, "ar:Member")
    if len(members) != 1:
        return ["740"]
    member = members[0]
    problems = []
    if len(_all(member, "m:Name")) != 1:
        problems.append("741")
    if len(_all(member, "m:PersonalInfo/m:BirthDate")) != 1:
        problems.append("742")
    domains = [uid.get("domain", "").strip().casefold() for uid in _all(member, "m:UniqueID")]
    if not domains or len(set(domains)) != len(domains):
        problems.append("743")
    return problems


def parse_activity_reports(data: bytes, *, program: str = "board") -> list[ParsedReport]:
    """Every ActivityReport of a learner XML document with its rows and structure problems."""
    return activity_reports_of(parse_xml(data), program=program)


def activity_reports_of(root: etree._Element, *, program: str = "board") -> list[ParsedReport]:
    """`parse_activity_reports` for a document already parsed (with `parse_xml`)."""
    reports = activity_report_elements(root)
    parsed: list[ParsedReport] = []
    next_row = 1
    for number, element in enumerate(reports, start=1):
        rows = report_rows(element, first_row_number=next_row, report=number)
        next_row += len(rows)
        problems = structure_problems(element, program=program)
        rems = _first(element, "ar:Participants") is not None
        parsed.append(
            ParsedReport(number, element.sourceline, tuple(rows), tuple(problems), rems=rems)
        )
    return parsed


def parse_learner_reports_xml(data: bytes, *, program: str | None = None) -> list[LearnerRow]:
    """All rows of an ACCMELearnerReports v3 document (FileFormatError for the file as a whole).

    With `program`, a document plainly of the other program (REMS participants in a board
    submission, or the reverse) is refused as a whole.
    """
    reports = activity_report_elements(parse_xml(data))
    check_record_count(len(reports), what="learner records (ar:ActivityReport elements)")
    rows: list[LearnerRow] = []
    for number, element in enumerate(reports, start=1):
        rows.extend(report_rows(element, first_row_number=len(rows) + 1, report=number))
    check_record_count(len(rows))
    if program is not None:
        _check_program(reports, program)
    return rows


def _check_program(reports: list[etree._Element], program: str) -> None:
    rems = [_first(report, "ar:Participants") is not None for report in reports]
    if program == "board" and all(rems):
        raise FileFormatError(
            "The XML holds Opioid Analgesic REMS participants (ar:Participants), but the file was "
            "submitted as Licensing or Specialty Board. Choose the matching submission type."
        )
    if program == "rems" and not any(rems):
        raise FileFormatError(
            "The XML holds no REMS participants (ar:Participants in each ar:ActivityReport), but "
            "the file was submitted as Opioid Analgesic REMS. Choose the matching submission type."
        )


def report_rows(
    element: etree._Element, *, first_row_number: int, report: int = 0
) -> list[LearnerRow]:
    """One row for a Member report; one per Participant for a REMS report (`report`: its number)."""
    common, board_credits = _activity_values(element)
    common["report"] = report
    participants = _all(element, "ar:Participants/ar:Participant")
    if not participants:
        member = _first(element, "ar:Member")
        repeated: list[str] = []
        values = {**common, **(_member_values(member, repeated) if member is not None else {})}
        values.update(board_credit_values(str(values.get("board", "")), board_credits))
        return [_row(first_row_number, values, repeated)]
    rows = []
    for offset, participant in enumerate(participants):
        repeated = []
        values = {**common, **_participant_values(participant, repeated)}
        rows.append(_row(first_row_number + offset, values, repeated))
    return rows


def _row(number: int, values: dict[str, object], repeated: list[str]) -> LearnerRow:
    values["repeated_elements"] = (*values.get("repeated_elements", ()), *repeated)  # type: ignore[misc]
    return LearnerRow(row_number=number, **values)  # type: ignore[arg-type]


@lru_cache(maxsize=64)
def _clark_path(path: str) -> tuple[str, ...]:
    """'ar:Module/ar:CreditCertificate' → ('{…activityreport…}Module', …)."""
    parts = []
    for part in path.split("/"):
        prefix, _, local = part.partition(":")
        parts.append(f"{{{NS[prefix]}}}{local}")
    return tuple(parts)


def _iter(parent: etree._Element, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    # Walking children directly is many times faster than ElementPath with a namespace map.
    if not tags:
        yield parent
        return
    for child in parent.iterchildren(tags[0]):
        yield from _iter(child, tags[1:])


def _all(parent: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if parent is None else list(_iter(parent, _clark_path(path)))


def _first(parent: etree._Element | None, path: str) -> etree._Element | None:
    for tag in _clark_path(path):
        if parent is None:
            return None
        parent = next(parent.iterchildren(tag), None)
    return parent


def _single(parent: etree._Element | None, path: str, repeated: list[str]) -> etree._Element | None:
    """The element at `path` that a row reads one value from; noted in `repeated` when the
    report gives more than one, since either could be the value meant."""
    found = _all(parent, path)
    if len(found) > 1:
        repeated.append(path)
    return found[0] if found else None


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    if len(element) == 0:  # a leaf: its text is all of it
        return (element.text or "").strip()
    return "".join(element.itertext()).strip()


BoardCredit = tuple[str, str, str]  # (board, credit type, points)


def _activity_values(report: etree._Element) -> tuple[dict[str, object], list[BoardCredit]]:
    activity = _first(report, "ar:Activity")
    module = _first(activity, "ar:Module")
    repeated: list[str] = []
    module_name = _single(module, "ar:ModuleName", repeated)
    module_id = (module_name.get("moduleID") or "").strip() if module_name is not None else ""
    completed = _single(module, "ar:CompletedDateTime", repeated)
    action = _single(report, "ar:XtensibleInfo/ex:learnerRecordAction", repeated)
    values: dict[str, object] = {
        "record_action": _text(action),
        "activity_id": module_id or _text(_single(activity, "ar:ActivityName", repeated)),
        "completion_date": completion_date(_text(completed)),
        "missing_elements": ("ar:CompletedDateTime",) if completed is None else (),
        "repeated_elements": repeated,
    }
    board_credits: list[BoardCredit] = []
    certificates: list[Certificate] = []
    for element in _all(module, "ar:CreditCertificate") if module is not None else []:
        received = "ar:CreditReceived/hx:"
        certificate = Certificate(
            certification=" ".join(
                _text(_single(element, f"{received}activityCertification", repeated)).split()
            ),
            points=_text(_single(element, f"{received}numberOfCredits", repeated)),
            credit_id=_text(_single(element, "ar:CreditID", repeated)),
        )
        certificates.append(certificate)
        name, points = certificate.certification, certificate.points
        if certificate.credit_id:
            values.setdefault("credit_id", certificate.credit_id)
        if is_ama_certification(name):
            values.setdefault("cme_credits", points)
        elif name:
            board, _, credit_type = name.partition(" ")
            board_credits.append((board, credit_type.strip(), points))
    values["certificates"] = tuple(certificates)
    return values, board_credits


def is_ama_certification(name: str) -> bool:
    return header_key(name) == header_key(AMA_CERTIFICATION)


def board_credit_values(member_board: str, credits: list[BoardCredit]) -> dict[str, object]:
    """ "ABIM Medical Knowledge" 1.5 + "ABIM Patient Safety" 1 → board ABIM, 2.5 points, two types."""
    if not credits:
        return {}
    board = member_board or credits[0][0]
    types = [
        # A certificate of another board than the learner's keeps its full name for the rules.
        (credit_type if code.casefold() == board.casefold() else f"{code} {credit_type}", points)
        for code, credit_type, points in credits
        if credit_type
    ]
    values: dict[str, object] = {
        "board": board,
        "board_points": _total_points([points for _, _, points in credits]),
    }
    for (type_field, points_field), (credit_type, points) in zip(
        (
            ("credit_type", "credit_type_points"),
            ("additional_credit_type", "additional_credit_type_points"),
        ),
        types,
        strict=False,
    ):
        values[type_field], values[points_field] = credit_type, points
    values["extra_credit_types"] = tuple(types[2:])
    return values


def _total_points(points: list[str]) -> str:
    if len(points) == 1:
        return points[0]
    try:
        total = sum((Decimal(p) for p in points), Decimal(0))
    except InvalidOperation:
        return next(p for p in points if not _is_decimal(p))
    return format(total.normalize(), "f") if total.is_finite() else str(total)


def _is_decimal(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _member_values(member: etree._Element, repeated: list[str]) -> dict[str, object]:
    values: dict[str, object] = {
        "first_name": _text(_single(member, "m:Name/n:GivenName", repeated)),
        "last_name": _text(_single(member, "m:Name/n:FamilyName", repeated)),
        "birth_date": birth_date(_text(_single(member, "m:PersonalInfo/m:BirthDate", repeated))),
    }
    member_ids = tuple(
        ((uid.get("domain") or "").strip(), _text(uid)) for uid in _all(member, "m:UniqueID")
    )
    values["member_ids"] = member_ids
    for domain, value in member_ids:
        if domain.upper() == "NPI":
            values.setdefault("npi", value)
        elif not domain or state_code(domain) or _two_letters(domain):
            # An empty domain leaves the state blank, so the rules say what is missing.
            values.setdefault("licensing_state", domain)
            values.setdefault("license_id", value)
        else:
            values.setdefault("board", domain)
            values.setdefault("board_id", value)
    return values


def _two_letters(domain: str) -> bool:
    """A 2-letter domain names a licensing state (known or not: the rules say 721); boards have
    longer acronyms."""
    return len(domain) == 2 and domain.isascii() and domain.isalpha()


def _participant_values(participant: etree._Element, repeated: list[str]) -> dict[str, object]:
    def text(tag: str) -> str:
        return _text(_single(participant, f"ar:{tag}", repeated))

    surgery = text("SurgicalProcedures")
    return {
        "learner_local_id": text("LocalIdentifier"),
        "profession": text("Profession"),
        "practice_area": text("PracticeArea"),
        "dea_registration": text("DEARegistration"),
        "practice_state": text("StateOfPrimaryPractice"),
        "time_in_practice": text("TimeInPractice"),
        "performs_surgery": {"true": "Y", "1": "Y", "false": "N", "0": "N"}.get(
            surgery.casefold(), surgery
        ),
    }


def completion_date(value: str) -> str:
    """'2021-07-06' or '2021-07-06T10:00:00' → '07/06/2021'; anything else as given."""
    parsed = parse_iso_date(value)
    return format_date(parsed) if parsed is not None else value


def birth_date(value: str) -> str:
    """'1904-10-30', '--10-30', '10-30' or '10/30' → '10/30'; anything else as given."""
    parsed = parse_birth(value)
    if parsed is None and _MONTH_DAY.fullmatch(value):
        parsed = parse_birth(value.replace("-", "/"))
    return f"{parsed[0]:02d}/{parsed[1]:02d}" if parsed is not None else value
