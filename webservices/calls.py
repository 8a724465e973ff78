"""Reading the request log: a provider's calls, filtered, and one call as a support ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from lxml import etree

from learners.formats.base import hardened_xml_parser
from portal.environment import environment_name
from portal.models import Provider
from webservices.models import WebServiceCall

METHODS = (
    "SaveActivity",
    "GetActivity",
    "SaveLearnerActivity",
    "GetLearnerStatusByLearner",
    "GetLearnerStatusByCreditId",
    "GetLearnerMatch",
    "LearnerMatchRequest",
)
HTTP_ERROR = "http-error"
# The list shows these; the full request and response load only when one call is opened.
LIST_FIELDS = (
    "id", "created_at", "method", "path", "http_status", "status_code", "codes", "duration_ms",
    "username", "warnings",
)  # fmt: skip


@dataclass(frozen=True)
class CallFilters:
    method: str = ""
    status: str = ""  # a StatusCode (Accepted, Rejected, Pending) or HTTP_ERROR
    code: str = ""
    date_from: date | None = None
    date_to: date | None = None


def webservice_call_list(*, provider: Provider, filters: CallFilters) -> QuerySet[WebServiceCall]:
    """The provider's calls matching every given filter, newest first."""
    calls = WebServiceCall.objects.for_provider(provider).only(*LIST_FIELDS)
    if filters.method:
        calls = calls.filter(method=filters.method)
    if filters.status == HTTP_ERROR:
        calls = calls.filter(http_status__gte=400)
    elif filters.status:
        calls = calls.filter(status_code=filters.status)
    if filters.code:
        calls = calls.filter(codes__regex=rf"(^|,){filters.code}(,|$)")
    if filters.date_from:
        calls = calls.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        calls = calls.filter(created_at__date__lte=filters.date_to)
    return calls.order_by("-created_at", "-id")


def error_messages(call: WebServiceCall) -> list[tuple[str, str]]:
    """(code, message) of each ErrorMessage in the stored response."""
    try:
        root = etree.fromstring(call.response_body.encode("utf-8"), parser=hardened_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return [(code, "") for code in call.code_list]
    found = []
    for element in root.iter("{*}ErrorMessage"):
        code = element.findtext("{*}Code") or ""
        found.append((code, element.findtext("{*}Message") or ""))
    return found


def support_ticket_text(call: WebServiceCall) -> str:
    """What Appendix D of the guide asks a web-service ticket to hold, ready to send."""
    when = timezone.localtime(call.created_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    codes = error_messages(call)
    code_lines = [f"  {code}: {message}".rstrip(": ") for code, message in codes] or ["  (none)"]
    provider = f"{call.provider.accme_id} {call.provider.name}" if call.provider else "(unknown)"
    lines = [
        "PARS web services: technical support ticket",
        "",
        f"Environment: {environment_name()}",
        f"API endpoint URL: {call.url}",
        f"Method: {call.method or '(no method at this path)'} (HTTP {call.http_method})",
        f"Time: {when}",
        f"Provider: {provider}",
        f"Web-service user: {call.username or '(none)'}",
        f"HTTP status: {call.http_status}",
        f"StatusCode: {call.status_code or '(none)'}",
        "Error codes:",
        *code_lines,
    ]
    if call.warning_list:
        lines += ["Portal notes (what PARS would not read as sent):"]
        lines += [f"  {text}" for text in call.warning_list]
    lines += [
        "",
        "Issue description: (what you expected, and what happened instead)",
        "",
        "Steps taken: (what you have already tried)",
        "",
        "Full XML request (credentials redacted)",
        "---------------------------------------",
        call.request_headers,
        "",
        call.request_body,
        "",
        "Full XML response",
        "-----------------",
        call.response_body,
        "",
    ]
    return "\n".join(lines)
