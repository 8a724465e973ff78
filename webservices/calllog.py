"""Writing the request log: every call to /services/, its answer and who made it.

The password never reaches the database: the envelope's Password element and an HTTP Basic
Authorization header are redacted first. Logging is the call's last step and can't fail it: an
error while writing is logged and the answer goes out as it is.
"""

from __future__ import annotations

import codecs
import logging
import re
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, RawPostDataException, UnreadablePostError
from django.utils import timezone

from portal.middleware import content_length_problem
from portal.models import WebServiceAccount
from webservices.auth import AccessDenied, basic_credentials, shown_scheme
from webservices.models import WebServiceCall

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=30)
# A call whose credentials name no account is kept this far: PARS's requests are a few kilobytes.
UNKNOWN_CALLER_BODY_BYTES = 16 * 1024
REDACTED = "********"
# A Password element in any case and with any prefix (XML names take far more characters than
# \w), up to its end tag or the end of a truncated body; and a password given as an attribute.
# An envelope the service refuses for such an element is logged too, so the log can't trust it.
_NAME_PREFIX = r"(?:[^\s<>/:=\"']+:)?"
_PASSWORD = re.compile(
    rf"(<{_NAME_PREFIX}password(?:\s[^>]*)?>)(.*?)(?=</{_NAME_PREFIX}password\s*>|\Z)",
    re.S | re.I,
)
_PASSWORD_ATTRIBUTE = re.compile(rf"(\s{_NAME_PREFIX}password\s*=\s*)(\"[^\"]*\"|'[^']*')", re.I)
_CODE = re.compile(rb"<(?:[\w.-]+:)?Code>([^<]{1,10})</")
_STATUS_CODE = re.compile(rb"<(?:[\w.-]+:)?StatusCode>([^<]{1,20})</")
_LOGGED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_AUTHORIZATION", "HTTP_USER_AGENT")


@dataclass
class CallNote:
    """What a view learns about a call while answering it, for the log and the Warning header."""

    method: str
    at: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.perf_counter)
    body: bytes | None = None
    account: WebServiceAccount | None = None
    username: str = ""
    credential_source: str = ""
    warnings: list[str] = field(default_factory=list)
    duration_ms: int | None = None

    def finished(self) -> None:
        """The answer is ready: what the call took, before the log is written."""
        self.duration_ms = max(0, round((time.perf_counter() - self.started) * 1000))


def request_log_enabled() -> bool:
    return bool(getattr(settings, "WEBSERVICE_REQUEST_LOG", True))


# How an XML parser tells a document's encoding (XML 1.0, Appendix F): a byte-order mark; else
# the bytes '<' or '<?' make in a wide encoding; else the declaration; else UTF-8. UTF-32's
# marks come first: UTF-32LE's begins with UTF-16LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE_STARTS = (
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(
    rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][\w.:-]{0,39})["']"""
)


def xml_text(body: bytes) -> str:
    """The body decoded as the XML parser decodes it, whatever encoding the caller chose.

    Read as UTF-8 regardless, a UTF-16 envelope's Password element would go unrecognised and
    its value into the log, one letter in every two bytes.
    """
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return body[len(mark) :].decode(encoding, errors="replace")
    for start, encoding in _WIDE_STARTS:
        if body.startswith(start):
            return body.decode(encoding, errors="replace")
    declared = _DECLARED_ENCODING.match(body.lstrip()[:200])
    if declared and _reads_ascii(encoding := declared.group(1).decode("ascii")):
        try:
            return body.decode(encoding, errors="replace")
        except UnicodeError:  # a codec that takes no error handler (idna): not an XML encoding
            pass
    return body.decode("utf-8", errors="replace")


def _reads_ascii(encoding: str) -> bool:
    """Whether a declaration read in ASCII can be true: not a wide encoding, nor an unknown one
    (the parser refused the body then, and it is kept as UTF-8)."""
    try:
        return "<?xml".encode(encoding) == b"<?xml"
    except (LookupError, UnicodeError):
        return False


def redact_body(body: bytes) -> str:
    """The body as text with every Password element's value replaced (and attribute's)."""
    text = _PASSWORD.sub(lambda m: m.group(1) + REDACTED, xml_text(body))
    return _PASSWORD_ATTRIBUTE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


def redact_authorization(value: str) -> str:
    """'Basic <base64>' → 'Basic user:********'; a known scheme keeps only its name."""
    scheme = shown_scheme(value)
    try:
        basic = basic_credentials(value)
    except AccessDenied:  # a malformed header is logged without its value
        basic = None
    if basic is not None:
        return f"{scheme} {basic[0]}:{REDACTED}"
    return f"{scheme} {REDACTED}".strip()  # an unknown scheme may be the credentials: unnamed


def request_headers_text(request: HttpRequest) -> str:
    lines = []
    for key in _LOGGED_HEADERS:
        value = request.META.get(key)
        if not value:
            continue
        if key == "HTTP_AUTHORIZATION":
            value = redact_authorization(value)
        name = key.removeprefix("HTTP_").replace("_", "-").title()
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _request_body(request: HttpRequest, note: CallNote, *, known: bool) -> str:
    """The body, redacted; cut short for a call no account owns, so junk can't fill the log."""
    body = note.body
    problem = content_length_problem(request)
    if body is None and problem:
        return f"(not stored: {problem})"
    if body is None:
        try:
            body = request.body
        except (RequestDataTooBig, UnreadablePostError, RawPostDataException):
            length = request.META.get("CONTENT_LENGTH") or "?"
            return f"(not stored: the body of {length} bytes was not read)"
    if known or len(body) <= UNKNOWN_CALLER_BODY_BYTES:
        return redact_body(body)
    kept = redact_body(body[:UNKNOWN_CALLER_BODY_BYTES])
    return f"{kept}\n(cut short: {len(body):,} bytes were sent by a caller with no account)"


def _answer(response: HttpResponse) -> tuple[str, list[str]]:
    content = response.content
    status = _STATUS_CODE.search(content)
    codes = [code.decode("ascii", "replace").strip() for code in _CODE.findall(content)]
    return (status.group(1).decode("ascii", "replace") if status else ""), codes


def _account(note: CallNote) -> WebServiceAccount | None:
    """The account the call used, or the one its User named when the password was refused."""
    if note.account is not None or not note.username:
        return note.account
    return WebServiceAccount.objects.filter(username=note.username.strip()).first()


# The columns one call fills, in the order of the INSERT below.
_COLUMNS = (
    "created_at", "method", "http_method", "path", "url", "http_status", "status_code", "codes",
    "duration_ms", "request_headers", "request_body", "response_body", "warnings", "account",
    "username", "credential_source", "provider", "client_ip",
)  # fmt: skip


@lru_cache(maxsize=4)
def _insert_sql(vendor: str) -> str:
    # One plain INSERT, written once per process: building it through the ORM for every call
    # costs more CPU than the rest of the log, against a budget of 10% of SaveLearnerActivity.
    quote = connection.ops.quote_name
    meta = WebServiceCall._meta
    column_of = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in _COLUMNS)
    values = ", ".join(["%s"] * len(_COLUMNS))
    # Only the model's own table and column names go into the text; values are parameters.
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608


def _row(request: HttpRequest, response: HttpResponse, note: CallNote) -> tuple[Any, ...]:
    status_code, codes = _answer(response)
    account = _account(note)
    ip = request.META.get("REMOTE_ADDR") or None
    return (
        connection.ops.adapt_datetimefield_value(note.at),
        note.method,
        (request.method or "")[:10],
        request.path[:500],
        request.build_absolute_uri(request.path)[:1000],
        response.status_code,
        status_code,
        ",".join(dict.fromkeys(codes))[:500],
        note.duration_ms,
        request_headers_text(request),
        _request_body(request, note, known=account is not None),
        response.content.decode("utf-8", errors="replace"),
        "\n".join(note.warnings),
        account.pk if account else None,
        note.username[:150],
        note.credential_source,
        account.provider_id if account else None,
        connection.ops.adapt_ipaddressfield_value(ip) if ip else None,
    )


def _storable(value: Any) -> Any:
    """A NUL can't be stored in a text column: keep the call, with U+FFFD where the NUL was."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def call_record(*, request: HttpRequest, response: HttpResponse, note: CallNote) -> None:
    """Store the call in the request log; never raises."""
    if note.duration_ms is None:
        note.finished()
    try:
        row = tuple(_storable(value) for value in _row(request, response, note))
        # Inside a transaction a savepoint keeps a failed insert from spoiling it; outside one,
        # the single INSERT is atomic already and needs no BEGIN/COMMIT round trips.
        savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with savepoint, connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor), row)
    except Exception:
        logger.exception("Could not write the request log for %s %s", request.method, request.path)


def request_log_purge(*, now: datetime | None = None) -> int:
    """Delete calls older than 30 days; returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = WebServiceCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted
