"""The PARS REST XML methods: each reads its envelope, authenticates, calls a service, renders.

HTTP statuses: 200 for every judged request (a rejected record answers StatusCode Rejected with
its codes, as PARS does); 400 when the envelope or its Data can't be read; 401 without any
credentials, 403 for bad ones (PARS's code 451, so clients notice); 405, 413, 415; 429 after
repeated failures. Every call, whatever its answer, is written to the request log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.utils import timezone
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt

from activities.services import ActivitySearchError, activity_save, activity_search
from activities.xml_writer import stored_activities_xml
from learners.engine.codes import CODES, error
from learners.engine.matching import MatchCriteria, learner_match
from learners.engine.results import RowError
from learners.formats.base import FileFormatError
from portal.middleware import content_length_problem
from portal.models import WebServiceAccount
from webservices import envelopes
from webservices.auth import (
    AccessDenied,
    NoCredentials,
    Throttled,
    account_authenticate,
    credentials_resolve,
)
from webservices.calllog import CallNote, call_record, request_log_enabled
from webservices.envelopes import Envelope, EnvelopeError, EnvelopeSpec, StatusLine
from webservices.legacy import legacy_record_prepare
from webservices.legacy_match import legacy_match_criteria
from webservices.services import (
    data_bytes,
    learner_report_save,
    learner_status_by_credit_id,
    learner_status_by_learner,
)

XML_CONTENT_TYPE = "application/xml; charset=utf-8"


class XmlResponse(HttpResponse):
    """A web-service answer; `on_close` runs once the server has sent it and closes it."""

    on_close: Callable[[], None] | None = None

    def close(self) -> None:
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            on_close()
        super().close()


Handler = Callable[[Envelope, WebServiceAccount], XmlResponse]


def _xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> XmlResponse:
    return XmlResponse(body, status=status, content_type=XML_CONTENT_TYPE, headers=headers)


def _refusal(
    namespace: str,
    status: int,
    row_error: RowError,
    *,
    array: bool = False,
    headers: dict[str, str] | None = None,
) -> XmlResponse:
    """The error in the shape the method answers: a ResponseMessage, or an array of one."""
    if array:
        line = StatusLine(data="", status="Rejected", errors=[row_error])
        return _xml(envelopes.array_of_response_message([line], namespace), status, headers)
    body = envelopes.response_message(namespace, data=None, errors=[row_error], status="Rejected")
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
    problem = content_length_problem(request)
    if problem:
        raise EnvelopeError(problem)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    too_big = f"The request is larger than the limit of {limit:,} bytes."
    if length > limit:
        raise EnvelopeError(too_big, status=413)
    try:
        body = request.body
    except RequestDataTooBig:
        raise EnvelopeError(too_big, status=413) from None
    except UnreadablePostError:
        raise EnvelopeError("The request body could not be read.") from None
    if not body and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        raise EnvelopeError(CHUNKED_UNREAD, status=411)
    return body


# Django reads a request body by its Content-Length, so a chunked one reaches the view empty
# unless the server decoded it (gunicorn does, and portal/wsgi.py passes it on with its length;
# runserver, under `make run`, does not): say so (411 Length Required), not "the body is empty".
CHUNKED_UNREAD = (
    "The request was sent in chunks (Transfer-Encoding: chunked) without a Content-Length, and "
    "this server reads a request body only by its length. Send the Content-Length header."
)


def pars_method(
    spec: EnvelopeSpec | tuple[EnvelopeSpec, ...], *, name: str, array: bool = False
) -> Callable[[Handler], Callable]:
    """Method, content type, size, envelope and credentials checks around a handler; the call
    and its answer go to the request log, and what PARS would not have read to a Warning header.

    With several specs, the request's root element picks the envelope.
    """
    specs = spec if isinstance(spec, tuple) else (spec,)

    def decorator(handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest) -> XmlResponse:
            note = CallNote(method=name)
            response = _answer(request, note, specs, handler, array=array)
            return _finish(request, response, note)

        return view

    return decorator


def _answer(
    request: HttpRequest,
    note: CallNote,
    specs: tuple[EnvelopeSpec, ...],
    handler: Handler,
    *,
    array: bool,
) -> XmlResponse:
    namespace = specs[0].namespace

    def refuse(status: int, row_error: RowError, **headers: str) -> XmlResponse:
        return _refusal(namespace, status, row_error, array=array, headers=headers or None)

    if request.method != "POST":
        message = f"{note.method} takes POST only, not {request.method}."
        return refuse(405, _read_error(message), Allow="POST")
    problem = content_type_problem(request.META.get("CONTENT_TYPE", ""))
    if problem:
        return refuse(415, _read_error(problem))
    try:
        note.body = _body(request)
        envelope = envelopes.parse_envelope(note.body, specs)
    except EnvelopeError as exc:
        return refuse(exc.status, _read_error(exc.message))
    namespace = envelope.namespace
    note.warnings = envelope.warnings
    note.username = envelope.text("User")
    try:
        credentials = credentials_resolve(
            user=envelope.text("User"),
            password=envelope.text("Password"),
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        )
        note.username, note.credential_source = credentials.username, credentials.source
        note.account = account_authenticate(
            username=credentials.username,
            password=credentials.password,
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
    except NoCredentials as exc:
        challenge = 'Basic realm="PARS web services", charset="UTF-8"'
        return refuse(401, _denied(exc), **{"WWW-Authenticate": challenge})
    except AccessDenied as exc:
        return refuse(403, _denied(exc))
    return handler(envelope, note.account)


def _denied(exc: AccessDenied) -> RowError:
    if not exc.detail:
        return error("451")
    return RowError("451", f"{CODES['451'].pars_message}: {exc.detail}")


def _finish(request: HttpRequest, response: XmlResponse, note: CallNote) -> XmlResponse:
    if note.warnings:
        response["Warning"] = ", ".join(_warning_value(text) for text in note.warnings)
    if request_log_enabled():
        note.finished()
        # The WSGI server closes a response once it has sent it: writing the log then means the
        # client never waits for it (the test client closes responses the same way).
        response.on_close = partial(call_record, request=request, response=response, note=note)
    return response


# A warning quoting a caller's value is cut here in the header (the request log keeps it whole).
WARNING_MAX_CHARACTERS = 1000


def _warning_value(text: str) -> str:
    """An RFC 7234 warn-value: code 299 (a persistent warning), quoted ASCII text on one line.

    A caller's value may hold a line break, which no header may; or be long: header values
    stay short."""
    one_line = " ".join(text.split())
    if len(one_line) > WARNING_MAX_CHARACTERS:
        one_line = one_line[: WARNING_MAX_CHARACTERS - 3] + "..."
    ascii_text = one_line.encode("ascii", "replace").decode("ascii").replace('"', "'")
    return f'299 - "{ascii_text}"'


def _status(accepted: bool) -> str:
    return "Accepted" if accepted else "Rejected"


@pars_method(envelopes.SAVE_ACTIVITY, name="SaveActivity")
def save_activity(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    outcome = activity_save(
        provider=account.provider,
        data=envelope.text("Data"),
        reporting_year=envelope.text("ReportingYear"),
        today=timezone.localdate(),
    )
    envelope.warnings.extend(outcome.notes)
    body = envelopes.response_message(
        envelope.namespace,
        data=outcome.data,
        errors=outcome.errors,
        status=_status(outcome.accepted),
    )
    return _xml(body, 400 if outcome.unreadable else 200)


@pars_method(envelopes.GET_ACTIVITY, name="GetActivity")
def get_activity(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    if envelope.get("SchemaVersion") != 3:
        message = (
            "SchemaVersion must be 3: only the current ACCMEActivities v3 format is served "
            "(PARS answers other values with the legacy format)."
        )
        return _refusal(envelope.namespace, 400, _read_error(message))
    try:
        activities = activity_search(
            provider=account.provider,
            activity_id=envelope.get("ActivityID"),
            start_date=envelope.get("ActivityStartDate"),
            type_name=envelope.text("ActivityTypeName"),
            provider_activity_id=envelope.text("ProviderActivityId"),
        )
    except ActivitySearchError as exc:
        return _refusal(envelope.namespace, 400, _read_error(str(exc)))
    return _xml(envelopes.search_result(stored_activities_xml(activities) if activities else None))


@pars_method(envelopes.SAVE_LEARNER, name="SaveLearnerActivity")
def save_learner_activity(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    data = envelope.text("Data")
    # A legacy v1 record without a Credit ID gets one here, so the answer can echo it.
    prepared, notes = legacy_record_prepare(data_bytes(data))
    envelope.warnings.extend(notes)
    data = data if prepared is None else prepared
    outcome = learner_report_save(provider=account.provider, data=data, today=timezone.localdate())
    body = envelopes.response_message(
        envelope.namespace, data=data, errors=outcome.errors, status=_status(outcome.accepted)
    )
    return _xml(body, 400 if outcome.unreadable else 200)


@pars_method(envelopes.STATUS_BY_LEARNER, name="GetLearnerStatusByLearner", array=True)
def get_learner_status_by_learner(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    lines = learner_status_by_learner(
        provider=account.provider,
        activity_id=envelope.get("ActivityId"),
        birth_month=envelope.get("BirthMonth"),
        birth_day=envelope.get("BirthDay"),
        completion_date=envelope.get("CompletionDate"),
        unique_id=envelope.text("UniqueId"),
    )
    return _xml(envelopes.array_of_response_message(lines, envelope.namespace))


@pars_method(envelopes.STATUS_BY_CREDIT_ID, name="GetLearnerStatusByCreditId", array=True)
def get_learner_status_by_credit_id(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    lines = learner_status_by_credit_id(
        provider=account.provider, credit_id=envelope.text("CreditId")
    )
    return _xml(envelopes.array_of_response_message(lines, envelope.namespace))


def _match_criteria(envelope: Envelope) -> MatchCriteria:
    return MatchCriteria(
        first_name=envelope.text("FirstName"),
        last_name=envelope.text("LastName"),
        birth_month=envelope.get("BirthMonth"),
        birth_day=envelope.get("BirthDay"),
        board_ids=tuple(envelope.board_ids),
        license_id=envelope.text("LicenseId"),
        medical_school=envelope.text("MedicalSchoolName"),
        npi=envelope.text("Npi"),
        licensing_state=envelope.text("StateName"),
    )


def _match_answer(envelope: Envelope, criteria: MatchCriteria | None) -> XmlResponse:
    """MatchedLearnerCount: values that fit no one count 0, never a 400.

    Why a count is 0 goes to the Warning header and the request log, where integrators look. A
    request with nothing to match on (the names alone) asks no question: 400 says what it lacks.
    """
    count = 0
    if criteria is not None:
        answer = learner_match(criteria)
        if not answer.well_formed:
            return _refusal(envelope.namespace, 400, _read_error(" ".join(answer.reasons)))
        count = answer.count
        envelope.warnings.extend(f"MatchedLearnerCount 0: {reason}" for reason in answer.reasons)
    return _xml(envelopes.learner_match_response(count, envelope.namespace))


@pars_method(envelopes.LEARNER_MATCH, name="GetLearnerMatch")
def get_learner_match(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    return _match_answer(envelope, _match_criteria(envelope))


@pars_method((envelopes.LEARNER_MATCH_SUBMIT, envelopes.LEARNER_MATCH), name="LearnerMatchRequest")
def learner_match_request(envelope: Envelope, account: WebServiceAccount) -> XmlResponse:
    """Learner Match at the learner service's path: the legacy SubmitMessage, or the guide's."""
    if envelope.spec is envelopes.LEARNER_MATCH:
        return _match_answer(envelope, _match_criteria(envelope))
    try:
        criteria, reasons = legacy_match_criteria(data_bytes(envelope.text("Data")))
    except FileFormatError as exc:
        detail = str(exc).replace("The file", "The Data").replace("the file", "the Data")
        row_error = RowError("453", f"{CODES['453'].pars_message} {detail}")
        return _refusal(envelope.namespace, 400, row_error)
    envelope.warnings.extend(f"MatchedLearnerCount 0: {reason}" for reason in reasons)
    return _match_answer(envelope, criteria)


METHOD_PATHS = (
    "ACCMEService.svc/IACCMEServiceREST/SaveActivity",
    "ACCMEService.svc/IACCMEServiceREST/GetActivity",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByLearner",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId",
    "ACCMELearnerService.svc/IACCMELearnerServiceREST/LearnerMatchRequest",
    "LearnerMatchService.svc/ILearnerMatchServiceREST/GetLearnerMatch",
)


@csrf_exempt
def unknown_method(request: HttpRequest, path: str = "") -> XmlResponse:
    """An XML answer for a path under /services/ that names no method (logged as well)."""
    note = CallNote(method="")
    message = (
        f"No PARS web-service method at /services/{path}. The methods are: "
        + ", ".join(f"/services/{p}" for p in METHOD_PATHS)
        + "."
    )
    body = envelopes.response_message(
        envelopes.LEARNER_NS, data=None, errors=[_read_error(message)], status="Rejected"
    )
    return _finish(request, _xml(body, 404), note)
