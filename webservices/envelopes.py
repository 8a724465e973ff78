"""Parse and render the PARS web-service envelopes (WCF DataContract XML).

PARS's WCF binding reads envelope elements in alphabetical (ordinal) order and silently drops one
that comes out of order, so a client sees a baffling "missing" field. Here an unknown, repeated or
foreign element is refused with a message that names it and the order expected; elements out of
order are read all the same (each name says what it is), and the envelope's `warnings` say which
ones PARS would drop, for the answer's Warning header and the request log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from lxml import etree

from learners.engine.results import RowError
from learners.engine.values import parse_iso_date
from learners.formats.base import UnreadableXml, parse_untrusted_xml

# The Activity service keeps PARS's older DataContract namespace; the learner and match services
# use the newer one (both as the guide's samples and tips say).
ACTIVITY_NS = "http://schemas.datacontract.org/2004/07/BLL.Service"
LEARNER_NS = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

DEFAULT_MAX_BYTES = 1024 * 1024


def max_body_bytes() -> int:
    """A SubmitMessage is a few kilobytes; the cap stops a client from making us parse megabytes."""
    return int(getattr(settings, "WEBSERVICE_MAX_BYTES", DEFAULT_MAX_BYTES))


class EnvelopeError(Exception):
    """The request can't be read as the method's envelope; the message says what and where."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_xml(data: bytes, *, what: str) -> etree._Element:
    """The root element of `data`, or EnvelopeError naming the line that broke."""
    if not data.strip():
        raise EnvelopeError(f"The {what} is empty.")
    try:
        return parse_untrusted_xml(data)
    except UnreadableXml as exc:
        raise EnvelopeError(f"The {what} {exc.problem}.") from None


# ---------------------------------------------------------------------------------------------
# Envelope specifications


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False
    max_length: int = 100
    kind: str = "text"  # text | int | date | board_ids | data


@dataclass(frozen=True)
class EnvelopeSpec:
    root: str
    namespace: str
    fields: tuple[Field, ...]
    # Other namespaces the envelope is read in (the learner services also take PARS's older one).
    other_namespaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        assert names == sorted(names), f"{self.root} fields must be in ordinal order"

    @property
    def order(self) -> str:
        return ", ".join(f.name for f in self.fields)

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.namespace, *self.other_namespaces)

    def index(self, name: str) -> int | None:
        for position, item in enumerate(self.fields):
            if item.name == name:
                return position
        return None


def _data() -> Field:
    return Field("Data", required=True, max_length=0, kind="data")


# User and Password may come by HTTP Basic Auth instead (webservices/auth.py decides).
CREDENTIALS = (Field("Password"), Field("ProviderId", required=True, max_length=10))
USER = Field("User")
CREDENTIAL_NAMES = frozenset({"Password", "ProviderId", "User"})
# Older PARS clients (and the integration notes) send the learner services' envelopes in the
# Activity service's namespace: both are read, and the answer comes in the namespace sent.
LEARNER_NAMESPACES = (ACTIVITY_NS,)

SAVE_ACTIVITY = EnvelopeSpec(
    "SubmitMessage",
    ACTIVITY_NS,
    (_data(), *CREDENTIALS, Field("ReportingYear", max_length=4), USER),
)
GET_ACTIVITY = EnvelopeSpec(
    "SearchCriteria",
    ACTIVITY_NS,
    (
        Field("ActivityID", kind="int", max_length=20),
        Field("ActivityStartDate", kind="date", max_length=40),
        Field("ActivityTypeName", max_length=50),
        CREDENTIALS[0],
        Field("ProviderActivityId", max_length=50),
        CREDENTIALS[1],
        Field("SchemaVersion", kind="int", max_length=5),
        USER,
    ),
)
SAVE_LEARNER = EnvelopeSpec(
    "SubmitMessage",
    LEARNER_NS,
    (_data(), *CREDENTIALS, Field("ReportingYear", max_length=4), USER),
    LEARNER_NAMESPACES,
)
STATUS_BY_LEARNER = EnvelopeSpec(
    "LearnerStatusSearchByLearner",
    LEARNER_NS,
    (
        Field("ActivityId", required=True, kind="int", max_length=20),
        Field("BirthDay", required=True, kind="int", max_length=2),
        Field("BirthMonth", required=True, kind="int", max_length=2),
        Field("CompletionDate", required=True, kind="date", max_length=40),
        *CREDENTIALS,
        Field("UniqueId", required=True, max_length=20),
        USER,
    ),
    LEARNER_NAMESPACES,
)
STATUS_BY_CREDIT_ID = EnvelopeSpec(
    "LearnerStatusSearchByCreditId",
    LEARNER_NS,
    (Field("CreditId", required=True, max_length=300), *CREDENTIALS, USER),
    LEARNER_NAMESPACES,
)
# Learner Match never answers 400 for a well-formed request (SPEC §5): an identity value longer
# than any the directory holds is taken as it is and matches no one (the body's size is bounded).
ANY_LENGTH = 0
# The guide's LearnerMatchRequest has no ProviderId: the account names the provider. We accept
# one (checked against the account) so a client may send the same credentials everywhere.
LEARNER_MATCH = EnvelopeSpec(
    "LearnerMatchRequest",
    LEARNER_NS,
    (
        Field("BirthDay", kind="int", max_length=2),
        Field("BirthMonth", kind="int", max_length=2),
        Field("BoardIds", kind="board_ids"),
        Field("FirstName", required=True, max_length=ANY_LENGTH),
        Field("LastName", required=True, max_length=ANY_LENGTH),
        Field("LicenseId", max_length=ANY_LENGTH),
        Field("MedicalSchoolName", max_length=ANY_LENGTH),
        Field("Npi", max_length=ANY_LENGTH),
        CREDENTIALS[0],
        Field("ProviderId", max_length=10),
        Field("StateName", max_length=ANY_LENGTH),
        USER,
    ),
    LEARNER_NAMESPACES,
)
# The integration notes' LearnerMatchRequest: a SubmitMessage whose Data holds the legacy
# ACCMELearnerRecords v1 `ar:LearnerMatchRequest` (FirstName, LastName, DateOfBirth, …).
LEARNER_MATCH_SUBMIT = EnvelopeSpec(
    "SubmitMessage",
    LEARNER_NS,
    (_data(), CREDENTIALS[0], Field("ProviderId", max_length=10), USER),
    LEARNER_NAMESPACES,
)
BOARD_ID = EnvelopeSpec(  # a Learner Match's BoardIds
    "BoardId",
    LEARNER_NS,
    (
        Field("Board", required=True, max_length=ANY_LENGTH),
        Field("LearnerId", max_length=ANY_LENGTH),
    ),
)


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass
class Envelope:
    """The values of one envelope: text as sent (trimmed), ints and dates converted."""

    spec: EnvelopeSpec
    namespace: str = ""  # the namespace it was sent in (one of spec.namespaces)
    values: dict[str, Any] = field(default_factory=dict)
    board_ids: list[tuple[str, str]] = field(default_factory=list)
    # What was read although PARS would not read it so: for the Warning header and the log.
    warnings: list[str] = field(default_factory=list)

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return name in self.values


def parse_envelope(body: bytes, spec: EnvelopeSpec | Sequence[EnvelopeSpec]) -> Envelope:
    """Read the request body as `spec`'s envelope (or the one of `spec` its root names)."""
    if len(body) > max_body_bytes():
        raise EnvelopeError(
            f"The request is {len(body):,} bytes; the limit is {max_body_bytes():,} bytes.",
            status=413,
        )
    root = parse_xml(body, what="request body")
    specs = [spec] if isinstance(spec, EnvelopeSpec) else list(spec)
    chosen = _spec_for(root, specs)
    envelope = Envelope(spec=chosen, namespace=etree.QName(root).namespace or "")
    children = _named_children(root, chosen, envelope)
    for child, item in children:
        if _is_nil(child):
            continue
        if item.kind == "board_ids":
            envelope.board_ids = [
                _board_id(b, envelope) for b in _board_id_elements(child, envelope)
            ]
            envelope.values[item.name] = bool(envelope.board_ids)
            continue
        envelope.values[item.name] = _value(child, item, envelope)
    _check_required(envelope)
    return envelope


def _check_required(envelope: Envelope) -> None:
    spec = envelope.spec
    missing = [f.name for f in spec.fields if f.required and f.name not in envelope.values]
    if missing:
        raise EnvelopeError(
            f"{spec.root} is missing the element(s) {', '.join(missing)}; "
            f"its elements are, in this order: {spec.order}."
        )
    # Empty credentials are an authentication failure (451), like PARS; other fields must have a value.
    empty = [
        f.name
        for f in spec.fields
        if f.required and f.name not in CREDENTIAL_NAMES and envelope.values[f.name] in (None, "")
    ]
    if empty:
        raise EnvelopeError(f"Element(s) {', '.join(empty)} of {spec.root} must not be empty.")


def _spec_for(root: etree._Element, specs: list[EnvelopeSpec]) -> EnvelopeSpec:
    qname = etree.QName(root)
    chosen = next((s for s in specs if s.root == qname.localname), None)
    if chosen is None:
        expected = " or ".join(s.root for s in specs)
        raise EnvelopeError(f"This method expects a {expected} envelope, not '{qname.localname}'.")
    if qname.namespace not in chosen.namespaces:
        raise EnvelopeError(
            f"{chosen.root} must be in the namespace {chosen.namespace} "
            f'(xmlns="{chosen.namespace}"), not {qname.namespace or "no namespace"}.'
        )
    return chosen


def _named_children(
    parent: etree._Element, spec: EnvelopeSpec, envelope: Envelope
) -> list[tuple[etree._Element, Field]]:
    """Each child with its field, refusing unknown, foreign and repeated elements.

    Elements out of alphabetical order are read by name; the envelope's warnings name those that
    PARS's WCF binding would have dropped (every one after an element that sorts later).
    """
    found: list[tuple[etree._Element, Field]] = []
    seen: set[int] = set()
    latest = -1
    dropped: list[str] = []
    for child in parent.iterchildren(tag=etree.Element):
        qname = etree.QName(child)
        name = qname.localname
        position = spec.index(name)
        if position is None:
            raise EnvelopeError(
                f"Unknown element '{name}' in {spec.root}; its elements are, in this order: "
                f"{spec.order}."
            )
        if qname.namespace != envelope.namespace:
            raise EnvelopeError(
                f"Element '{name}' must be in the namespace {envelope.namespace}, "
                f"not {qname.namespace or 'no namespace'}."
            )
        if position in seen:
            raise EnvelopeError(f"Element '{name}' appears more than once in {spec.root}.")
        seen.add(position)
        if position < latest:
            dropped.append(name)
        latest = max(latest, position)
        found.append((child, spec.fields[position]))
    if dropped:
        envelope.warnings.append(
            f"Elements out of order: PARS reads the elements of {spec.root} only in alphabetical "
            f"order ({spec.order}) and would ignore {', '.join(dropped)} as sent here. "
            "This portal read them; put them in order before you go to production."
        )
    return found


def _is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil", "").strip().lower() == "true"


def _value(element: etree._Element, item: Field, envelope: Envelope) -> Any:
    if item.kind == "data":
        return _data_text(element, envelope)
    if len(element):
        raise EnvelopeError(
            f"Element '{item.name}' of {envelope.spec.root} must hold text, not child elements."
        )
    raw = element.text or ""
    # Passwords are compared as sent; everything else is trimmed like WCF's clients trim.
    value = raw if item.name == "Password" else raw.strip()
    if item.kind == "int":
        return _integer(item.name, value)
    if item.kind == "date":
        return _date(item.name, value)
    if item.max_length and len(value) > item.max_length:
        raise EnvelopeError(
            f"Element '{item.name}' is {len(value)} characters long; "
            f"the limit is {item.max_length}."
        )
    return value


def _data_text(element: etree._Element, envelope: Envelope) -> str:
    """Data's text: HTML-encoded XML as PARS expects, or one XML element written inline."""
    children = list(element.iterchildren(tag=etree.Element))
    if not children:
        return element.text or ""
    stray = (element.text or "").strip() or any((c.tail or "").strip() for c in children)
    if len(children) > 1 or stray:
        raise EnvelopeError(
            "Data must hold one record: HTML-encoded XML text (&lt;…&gt;), or a single XML "
            "element, not several elements or elements mixed with text."
        )
    envelope.warnings.append(
        "Data holds XML elements: PARS expects the record as text, HTML-encoded (&lt; for <), "
        "as in the web services guide's samples. This portal read it."
    )
    return etree.tostring(children[0], encoding="unicode", with_tail=False)


def _integer(name: str, value: str) -> int | None:
    if value == "":
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise EnvelopeError(
            f"Element '{name}' must be a whole number (at most 9 digits), not '{value}'."
        )
    return int(value)


def _date(name: str, value: str) -> date | None:
    if value == "":
        return None
    parsed = parse_iso_date(value)
    if parsed is None:
        raise EnvelopeError(
            f"Element '{name}' must be a date as YYYY-MM-DD (a time part is ignored), "
            f"not '{value}'."
        )
    return parsed


def _board_id_elements(parent: etree._Element, envelope: Envelope) -> list[etree._Element]:
    elements = list(parent.iterchildren(tag=etree.Element))
    for element in elements:
        qname = etree.QName(element)
        if qname.localname != "BoardId" or qname.namespace != envelope.namespace:
            raise EnvelopeError(
                f"BoardIds may hold only BoardId elements (with Board and LearnerId), "
                f"not '{qname.localname}'."
            )
    return elements


def _board_id(element: etree._Element, envelope: Envelope) -> tuple[str, str]:
    board = Envelope(spec=BOARD_ID, namespace=envelope.namespace)
    values = {
        item.name: _value(child, item, board)
        for child, item in _named_children(element, BOARD_ID, board)
    }
    envelope.warnings.extend(board.warnings)
    if not values.get("Board"):
        raise EnvelopeError("Each BoardId needs a Board (e.g. <Board>ABIM</Board>).")
    return values["Board"], values.get("LearnerId", "")


# ---------------------------------------------------------------------------------------------
# Rendering


def _tree(tag: str, namespace: str) -> etree._Element:
    return etree.Element(f"{{{namespace}}}{tag}", nsmap={None: namespace, "i": XSI_NS})


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, *, nil: bool = False
) -> etree._Element:
    namespace = etree.QName(parent).namespace
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    if nil:
        element.set(f"{{{XSI_NS}}}nil", "true")
    elif text is not None:
        element.text = _xml_safe(text)
    return element


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    # Control characters can't appear in XML 1.0 at all; a client's stray byte must not cost a 500.
    return _XML_UNSAFE.sub("\ufffd", text)


def _to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _fill_response(
    message: etree._Element,
    *,
    data: str | None,
    errors: Sequence[RowError],
    status: str,
    nil_when_no_errors: bool,
) -> None:
    _sub(message, "Data", data, nil=data is None)
    container = _sub(message, "ErrorMessages", nil=nil_when_no_errors and not errors)
    for item in errors:
        entry = _sub(container, "ErrorMessage")
        _sub(entry, "Code", item.code)
        _sub(entry, "Message", item.message)
    _sub(message, "StatusCode", status)


def response_message(
    namespace: str,
    *,
    data: str | None,
    errors: Sequence[RowError] = (),
    status: str,
) -> bytes:
    """A ResponseMessage: the echoed Data, ErrorMessages and StatusCode (Accepted | Rejected)."""
    root = _tree("ResponseMessage", namespace)
    # The Activity service answers `<ErrorMessages i:nil="true"/>`, the learner service `<ErrorMessages/>`.
    _fill_response(
        root, data=data, errors=errors, status=status, nil_when_no_errors=namespace == ACTIVITY_NS
    )
    return _to_bytes(root)


@dataclass(frozen=True)
class StatusLine:
    data: str
    status: str
    errors: Sequence[RowError] = ()


def array_of_response_message(lines: Sequence[StatusLine], namespace: str = LEARNER_NS) -> bytes:
    """The status look-ups' ArrayOfResponseMessage, one ResponseMessage per record."""
    root = _tree("ArrayOfResponseMessage", namespace)
    for line in lines:
        message = _sub(root, "ResponseMessage")
        _fill_response(
            message,
            data=line.data,
            errors=line.errors,
            status=line.status,
            nil_when_no_errors=False,
        )
    return _to_bytes(root)


def search_result(data: str | None) -> bytes:
    root = _tree("SearchResult", ACTIVITY_NS)
    _sub(root, "Data", data, nil=data is None)
    return _to_bytes(root)


def learner_match_response(count: int, namespace: str = LEARNER_NS) -> bytes:
    root = _tree("LearnerMatchResponse", namespace)
    _sub(root, "MatchedLearnerCount", str(count))
    return _to_bytes(root)
