"""The six PARS REST XML methods: each reads its envelope, authenticates, calls a service, renders.

HTTP statuses: 200 for every judged request (a rejected record answers StatusCode Rejected with
its codes, as PARS does); 400 when the envelope or its Data can't be read; 403 for bad
credentials (PARS's code 451, so clients notice); 405, 413, 415; 429 after repeated failures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.utils import timezone
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt

from activities.services import ActivitySearchError, activity_save, activity_search
from activities.xml_writer import stored_activities_xml
from learners.engine.codes import CODES, error
from learners.engine.results import RowError
from portal.models import WebServiceAccount
from webservices import envelopes
from webservices.auth import AccessDenied, Throttled, account_authenticate
from webservices.envelopes import Envelope, EnvelopeError, EnvelopeSpec, StatusLine
from webservices.services import (
    MatchCriteria,
    MatchCriteriaError,
    learner_match,
    learner_report_save,
    learner_status_by_credit_id,
    learner_status_by_learner,
)

XML_CONTENT_TYPE = "application/xml; charset=utf-8"
Handler = Callable[[Envelope, WebServiceAccount], HttpResponse]


def _xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=XML_CONTENT_TYPE, headers=headers)


def _refusal(
    spec: EnvelopeSpec,
    status: int,
    row_error: RowError,
    *,
    array: bool = False,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The error in the shape the method answers: a ResponseMessage, or an array of one."""
    if array:
        line = StatusLine(data="", status="Rejected", errors=[row_error])
        return _xml(envelopes.array_of_response_message([line]), status, headers)
    body = envelopes.response_message(
        spec.namespace, data=None, errors=[row_error], status="Rejected"
    )
    return _xml(body, status, headers)


def _read_error(message: str) -> RowError:
    return error("455", error=message)


def content_type_problem(header: str) -> str | None:
    """PARS takes application/xml in UTF-8 only; say so rather than misreading the body."""
    media_type, params = parse_header_parameters(header or "")
    charset = params.get("charset", "utf-8").strip().lower()
    if media_type.strip().lower() == "application/xml" and charset in ("utf-8", "utf8"):
        return None
    return f"Content-Type must be 'application/xml; charset=utf-8', not '{header or '(none)'}'."


def _body(request: HttpRequest) -> bytes:
    limit = envelopes.max_body_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = f"The request is larger than the limit of {limit:,} bytes."
    if length > limit:
        raise EnvelopeError(too_big, status=413)
    try:
        return request.body
    except RequestDataTooBig:
        raise EnvelopeError(too_big, status=413) from None
    except UnreadablePostError:
        raise EnvelopeError("The request body could not be read.") from None


def pars_method(spec: EnvelopeSpec, *, array: bool = False) -> Callable[[Handler], Callable]:
    """Method, content type, size, envelope and credentials checks around a handler."""

    def decorator(handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest) -> HttpResponse:
            def refuse(status: int, row_error: RowError, **headers: str) -> HttpResponse:
                return _refusal(spec, status, row_error, array=array, headers=headers or None)

            if request.method != "POST":
                message = f"{handler.__name__} takes POST only, not {request.method}."
                return refuse(405, _read_error(message), Allow="POST")
            problem = content_type_problem(request.META.get("CONTENT_TYPE", ""))
            if problem:
                return refuse(415, _read_error(problem))
            try:
                envelope = envelopes.parse_envelope(_body(request), spec)
            except EnvelopeError as exc:
                return refuse(exc.status, _read_error(exc.message))
            try:
                account = account_authenticate(
                    username=envelope.text("User"),
                    password=envelope.text("Password"),
                    provider_id=envelope.get("ProviderId"),
                    client_ip=request.META.get("REMOTE_ADDR", ""),
                )
            except Throttled:
                window = int(settings.THROTTLE_WINDOW.total_seconds())
                message = (
                    f"{CODES['451'].pars_message}: too many failed attempts for this user or "
                    f"address; try again in {window // 60} minutes."
                )
                return refuse(429, RowError("451", message), **{"Retry-After": str(window)})
            except AccessDenied:
                return refuse(403, error("451"))
            return handler(envelope, account)

        return view

    return decorator


def _status(accepted: bool) -> str:
    return "Accepted" if accepted else "Rejected"


@pars_method(envelopes.SAVE_ACTIVITY)
def save_activity(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    outcome = activity_save(
        provider=account.provider,
        data=envelope.text("Data"),
        reporting_year=envelope.text("ReportingYear"),
        today=timezone.localdate(),
    )
    body = envelopes.response_message(
        envelopes.ACTIVITY_NS,
        data=outcome.data,
        errors=outcome.errors,
        status=_status(outcome.accepted),
    )
    return _xml(body, 400 if outcome.unreadable else 200)


@pars_method(envelopes.GET_ACTIVITY)
def get_activity(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    if envelope.get("SchemaVersion") != 3:
        message = (
            "SchemaVersion must be 3: only the current ACCMEActivities v3 format is served "
            "(PARS answers other values with the legacy format)."
        )
        return _refusal(envelope.spec, 400, _read_error(message))
    try:
        activities = activity_search(
            provider=account.provider,
            activity_id=envelope.get("ActivityID"),
            start_date=envelope.get("ActivityStartDate"),
            type_name=envelope.text("ActivityTypeName"),
            provider_activity_id=envelope.text("ProviderActivityId"),
        )
    except ActivitySearchError as exc:
        return _refusal(envelope.spec, 400, _read_error(str(exc)))
    return _xml(envelopes.search_result(stored_activities_xml(activities) if activities else None))


@pars_method(envelopes.SAVE_LEARNER)
def save_learner_activity(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    data = envelope.text("Data")
    outcome = learner_report_save(provider=account.provider, data=data, today=timezone.localdate())
    body = envelopes.response_message(
        envelopes.LEARNER_NS, data=data, errors=outcome.errors, status=_status(outcome.accepted)
    )
    return _xml(body, 400 if outcome.unreadable else 200)


@pars_method(envelopes.STATUS_BY_LEARNER, array=True)
def get_learner_status_by_learner(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    lines = learner_status_by_learner(
        provider=account.provider,
        activity_id=envelope.get("ActivityId"),
        birth_month=envelope.get("BirthMonth"),
        birth_day=envelope.get("BirthDay"),
        completion_date=envelope.get("CompletionDate"),
        unique_id=envelope.text("UniqueId"),
    )
    return _xml(envelopes.array_of_response_message(lines))


@pars_method(envelopes.STATUS_BY_CREDIT_ID, array=True)
def get_learner_status_by_credit_id(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    lines = learner_status_by_credit_id(
        provider=account.provider, credit_id=envelope.text("CreditId")
    )
    return _xml(envelopes.array_of_response_message(lines))


@pars_method(envelopes.LEARNER_MATCH)
def get_learner_match(envelope: Envelope, account: WebServiceAccount) -> HttpResponse:
    criteria = MatchCriteria(
        first_name=envelope.text("FirstName"),
        last_name=envelope.text("LastName"),
        birth_month=envelope.get("BirthMonth"),
        birth_day=envelope.get("BirthDay"),
        board_ids=tuple(envelope.board_ids),
        license_id=envelope.text("LicenseId"),
        medical_school=envelope.text("MedicalSchoolName"),
        npi=envelope.text("Npi"),
        state=envelope.text("StateName"),
    )
    try:
        count = learner_match(criteria=criteria)
    except MatchCriteriaError as exc:
        return _refusal(envelope.spec, 400, _read_error(str(exc)))
    return _xml(envelopes.learner_match_response(count))


METHOD_PATHS = (
    "ACCMEService.svc/IACCMEServiceREST/SaveActivity",
    "ACCMEService.svc/IACCMEServiceREST/GetActivity",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByLearner",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId",
    "LearnerMatchService.svc/ILearnerMatchServiceREST/GetLearnerMatch",
)


@csrf_exempt
def unknown_method(request: HttpRequest, path: str = "") -> HttpResponse:
    """An XML answer for a path under /services/ that names no method."""
    message = (
        f"No PARS web-service method at /services/{path}. The methods are: "
        + ", ".join(f"/services/{p}" for p in METHOD_PATHS)
        + "."
    )
    body = envelopes.response_message(
        envelopes.LEARNER_NS, data=None, errors=[_read_error(message)], status="Rejected"
    )
    return _xml(body, 404)
