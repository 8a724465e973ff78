"""Parse and render the PARS web-service envelopes (WCF DataContract XML).

PARS's WCF binding reads envelope elements in alphabetical (ordinal) order and silently drops one
that comes out of order, so a client sees a baffling "missing" field. Here an out-of-order or
unknown element is refused with a message that names it and the order expected.
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
from learners.engine.values import parse_date
from learners.formats.base import hardened_xml_parser

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
        tree = etree.fromstring(data, parser=hardened_xml_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(
            f"The {what} is not well-formed XML: {exc.msg} (line {exc.lineno})."
        ) from exc
    if tree.docinfo.doctype:
        raise EnvelopeError(f"The {what} may not contain a DOCTYPE declaration.")
    return tree.getroot()


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

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        assert names == sorted(names), f"{self.root} fields must be in ordinal order"

    @property
    def order(self) -> str:
        return ", ".join(f.name for f in self.fields)

    def index(self, name: str) -> int | None:
        for position, item in enumerate(self.fields):
            if item.name == name:
                return position
        return None


def _data() -> Field:
    return Field("Data", required=True, max_length=0, kind="data")


CREDENTIALS = (Field("Password", required=True), Field("ProviderId", required=True, max_length=10))
USER = Field("User", required=True)
CREDENTIAL_NAMES = frozenset({"Password", "ProviderId", "User"})

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
)
STATUS_BY_CREDIT_ID = EnvelopeSpec(
    "LearnerStatusSearchByCreditId",
    LEARNER_NS,
    (Field("CreditId", required=True, max_length=300), *CREDENTIALS, USER),
)
# The guide's LearnerMatchRequest has no ProviderId: the account names the provider. We accept
# one (checked against the account) so a client may send the same credentials everywhere.
LEARNER_MATCH = EnvelopeSpec(
    "LearnerMatchRequest",
    LEARNER_NS,
    (
        Field("BirthDay", kind="int", max_length=2),
        Field("BirthMonth", kind="int", max_length=2),
        Field("BoardIds", kind="board_ids"),
        Field("FirstName", required=True),
        Field("LastName", required=True),
        Field("LicenseId"),
        Field("MedicalSchoolName", max_length=255),
        Field("Npi", max_length=10),
        CREDENTIALS[0],
        Field("ProviderId", max_length=10),
        Field("StateName", max_length=50),
        USER,
    ),
)
BOARD_ID = EnvelopeSpec(
    "BoardId", LEARNER_NS, (Field("Board", required=True, max_length=10), Field("LearnerId"))
)


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass
class Envelope:
    """The values of one envelope: text as sent (trimmed), ints and dates converted."""

    spec: EnvelopeSpec
    values: dict[str, Any] = field(default_factory=dict)
    board_ids: list[tuple[str, str]] = field(default_factory=list)

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value)

    def get(self, name: str) -> Any:
        return self.values.get(name)


def parse_envelope(body: bytes, spec: EnvelopeSpec) -> Envelope:
    """Read the request body as `spec`'s envelope or raise EnvelopeError."""
    if len(body) > max_body_bytes():
        raise EnvelopeError(
            f"The request is {len(body):,} bytes; the limit is {max_body_bytes():,} bytes.",
            status=413,
        )
    root = parse_xml(body, what="request body")
    _check_root(root, spec)
    envelope = Envelope(spec=spec)
    for child, item in _ordered_children(root, spec):
        if _is_nil(child):
            continue
        if item.kind == "board_ids":
            envelope.board_ids = [_board_id(board) for board in _board_id_elements(child)]
            envelope.values[item.name] = bool(envelope.board_ids)
            continue
        envelope.values[item.name] = _value(child, item, spec)
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
    return envelope


def _check_root(root: etree._Element, spec: EnvelopeSpec) -> None:
    qname = etree.QName(root)
    if qname.localname != spec.root:
        raise EnvelopeError(f"This method expects a {spec.root} envelope, not '{qname.localname}'.")
    if qname.namespace != spec.namespace:
        raise EnvelopeError(
            f"{spec.root} must be in the namespace {spec.namespace} "
            f'(xmlns="{spec.namespace}"), not {qname.namespace or "no namespace"}.'
        )


def _ordered_children(
    parent: etree._Element, spec: EnvelopeSpec
) -> list[tuple[etree._Element, Field]]:
    """Each child with its field, refusing unknown, foreign, repeated and out-of-order elements."""
    found: list[tuple[etree._Element, Field]] = []
    last = -1
    for child in parent.iterchildren(tag=etree.Element):
        qname = etree.QName(child)
        name = qname.localname
        position = spec.index(name)
        if position is None:
            raise EnvelopeError(
                f"Unknown element '{name}' in {spec.root}; its elements are, in this order: "
                f"{spec.order}."
            )
        if qname.namespace != spec.namespace:
            raise EnvelopeError(
                f"Element '{name}' must be in the namespace {spec.namespace}, "
                f"not {qname.namespace or 'no namespace'}."
            )
        if position == last:
            raise EnvelopeError(f"Element '{name}' appears more than once in {spec.root}.")
        if position < last:
            raise EnvelopeError(
                f"Element '{name}' is out of order: the elements of {spec.root} must appear in "
                f"alphabetical order ({spec.order}); PARS ignores an element out of order."
            )
        last = position
        found.append((child, spec.fields[position]))
    return found


def _is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil", "").strip().lower() == "true"


def _value(element: etree._Element, item: Field, spec: EnvelopeSpec) -> Any:
    if len(element):
        raise EnvelopeError(
            f"Element '{item.name}' of {spec.root} must hold text, not child elements."
        )
    raw = element.text or ""
    if item.kind == "data":
        return raw
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


def _integer(name: str, value: str) -> int | None:
    if value == "":
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise EnvelopeError(
            f"Element '{name}' must be a whole number (at most 9 digits), not '{value}'."
        )
    return int(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T.*)?")


def _date(name: str, value: str) -> date | None:
    if value == "":
        return None
    # Envelope dates are ISO only (as PARS's DataContract); the engine's parser reads them.
    parsed = parse_date(value) if _ISO_DATE.fullmatch(value) else None
    if parsed is None:
        raise EnvelopeError(
            f"Element '{name}' must be a date as YYYY-MM-DD (a time part is ignored), "
            f"not '{value}'."
        )
    return parsed


def _board_id_elements(parent: etree._Element) -> list[etree._Element]:
    elements = list(parent.iterchildren(tag=etree.Element))
    for element in elements:
        qname = etree.QName(element)
        if qname.localname != "BoardId" or qname.namespace != LEARNER_NS:
            raise EnvelopeError(
                f"BoardIds may hold only BoardId elements (with Board and LearnerId), "
                f"not '{qname.localname}'."
            )
    return elements


def _board_id(element: etree._Element) -> tuple[str, str]:
    values = {
        item.name: _value(child, item, BOARD_ID)
        for child, item in _ordered_children(element, BOARD_ID)
    }
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


def array_of_response_message(lines: Sequence[StatusLine]) -> bytes:
    """The status look-ups' ArrayOfResponseMessage, one ResponseMessage per record."""
    root = _tree("ArrayOfResponseMessage", LEARNER_NS)
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


def learner_match_response(count: int) -> bytes:
    root = _tree("LearnerMatchResponse", LEARNER_NS)
    _sub(root, "MatchedLearnerCount", str(count))
    return _to_bytes(root)
