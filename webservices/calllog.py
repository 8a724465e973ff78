"""Writing the request log: every call to /services/, its answer and who made it.

The password never reaches the database: the envelope's Password element and an HTTP Basic
Authorization header are redacted first. Logging is the call's last step and can't fail it: an
error while writing is logged and the answer goes out as it is.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, RawPostDataException, UnreadablePostError
from django.utils import timezone

from portal.models import WebServiceAccount
from webservices.auth import AccessDenied, basic_credentials
from webservices.models import WebServiceCall

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=30)
REDACTED = "********"
# The Password element with any prefix, up to its end tag (or the end of a truncated body).
_PASSWORD = re.compile(
    r"(<(?:[\w.-]+:)?Password(?:\s[^>]*)?>)(.*?)(?=</(?:[\w.-]+:)?Password\s*>|\Z)", re.S
)
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


def request_log_enabled() -> bool:
    return bool(getattr(settings, "WEBSERVICE_REQUEST_LOG", True))


def redact_body(body: bytes) -> str:
    """The body as text with every Password element's value replaced."""
    text = body.decode("utf-8", errors="replace")
    return _PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)


def redact_authorization(value: str) -> str:
    """'Basic <base64>' → 'Basic user:********'; any other scheme keeps only its name."""
    scheme = value.strip().partition(" ")[0]
    try:
        basic = basic_credentials(value)
    except AccessDenied:  # a malformed header is logged without its value
        basic = None
    if basic is not None:
        return f"{scheme} {basic[0]}:{REDACTED}"
    return f"{scheme} {REDACTED}".strip()


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


def _request_body(request: HttpRequest, note: CallNote) -> str:
    if note.body is not None:
        return redact_body(note.body)
    try:
        return redact_body(request.body)
    except (RequestDataTooBig, UnreadablePostError, RawPostDataException):
        length = request.META.get("CONTENT_LENGTH") or "?"
        return f"(not stored: the body of {length} bytes was not read)"


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


def call_record(*, request: HttpRequest, response: HttpResponse, note: CallNote) -> None:
    """Store the call in the request log; never raises."""
    duration = max(0, round((time.perf_counter() - note.started) * 1000))
    try:
        status_code, codes = _answer(response)
        account = _account(note)
        call = WebServiceCall(
            created_at=note.at,
            method=note.method,
            http_method=(request.method or "")[:10],
            path=request.path[:500],
            url=request.build_absolute_uri(request.path)[:1000],
            http_status=response.status_code,
            status_code=status_code,
            codes=",".join(dict.fromkeys(codes))[:500],
            duration_ms=duration,
            request_headers=request_headers_text(request),
            request_body=_request_body(request, note),
            response_body=response.content.decode("utf-8", errors="replace"),
            warnings="\n".join(note.warnings),
            account=account,
            username=note.username[:150],
            credential_source=note.credential_source,
            provider_id=account.provider_id if account else None,
            client_ip=request.META.get("REMOTE_ADDR") or None,
        )
        # Inside a transaction a savepoint keeps a failed insert from spoiling it; outside one,
        # the single INSERT is atomic already and needs no BEGIN/COMMIT round trips.
        if connection.in_atomic_block:
            with transaction.atomic():
                call.save()
        else:
            call.save()
    except Exception:
        logger.exception("Could not write the request log for %s %s", request.method, request.path)


def request_log_purge(*, now: datetime | None = None) -> int:
    """Delete calls older than 30 days; returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = WebServiceCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted
