"""What the learner web services do: save one ActivityReport, look up statuses, match a learner.

Saving goes through the same engine as a file row (learners/services.py); look-ups are queries
scoped to the caller's provider, so another provider's record reads as not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from learners.engine.codes import CODES, error
from learners.engine.matching import learner_match_count
from learners.engine.npi import is_valid_npi
from learners.engine.results import RowError
from learners.engine.rows import LearnerRow
from learners.engine.services import learner_rows_store, learner_rows_validate
from learners.engine.states import state_code
from learners.formats.base import FileFormatError
from learners.models import CompletionRecord, RecordSource, RecordStatus
from portal.models import Provider
from webservices.envelopes import StatusLine
from webservices.legacy import learner_reports_read

STATUS_LIMIT = 100
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass
class LearnerSaveOutcome:
    errors: list[RowError]
    unreadable: bool = False  # the Data could not be read at all (453)

    @property
    def accepted(self) -> bool:
        return not self.errors


def data_bytes(data: str) -> bytes:
    """Data arrives decoded; drop a leftover declaration whose encoding no longer holds."""
    return _DECLARATION.sub("", data, count=1).strip().encode("utf-8")


def _program(rows: list[LearnerRow]) -> str:
    # A REMS report (ar:Participants) yields de-identified rows: no names, a local id or profession.
    rems = any(row.learner_local_id or row.profession for row in rows)
    return "rems" if rems else "board"


def learner_report_save(*, provider: Provider, data: str, today: date) -> LearnerSaveOutcome:
    """Judge the one ActivityReport in `data` and store it when every row passes."""
    try:
        reports = learner_reports_read(data_bytes(data), provider=provider)
    except FileFormatError as exc:
        detail = str(exc).replace("The file", "The Data").replace("the file", "the Data")
        return LearnerSaveOutcome(
            errors=[RowError("453", f"{CODES['453'].pars_message} {detail}")], unreadable=True
        )
    if len(reports) != 1:
        message = (
            f"XML is Invalid: SaveLearnerActivity takes exactly 1 ar:ActivityReport; "
            f"this Data holds {len(reports)}. Send each learner record in its own call."
        )
        return LearnerSaveOutcome(errors=[RowError("738", message)])
    report = reports[0]
    if report.problems or report.errors:
        return LearnerSaveOutcome(errors=[*report.errors, *(error(c) for c in report.problems)])
    rows = list(report.rows)
    results = learner_rows_validate(
        provider=provider, rows=rows, program=_program(rows), today=today
    )
    errors = [item for result in results for item in result.errors]
    if errors:
        return LearnerSaveOutcome(errors=errors)
    summary = learner_rows_store(
        provider=provider, results=results, source=RecordSource.WEB_SERVICE
    )
    adds = [result for result in results if result.values is not None]
    if summary.added < len(adds):
        # A simultaneous call stored the same Credit ID between our check and our insert.
        previous = "a simultaneous submission"
        return LearnerSaveOutcome(
            errors=[error("603", credit_id=adds[0].credit_id, previous=previous)]
        )
    return LearnerSaveOutcome(errors=[])


# -- Status look-ups ---------------------------------------------------------------------------

# PARS answers Accepted, Rejected or Pending; MOC records wait for their board as Pending.
STATUS_CODES = {
    RecordStatus.ACCEPTED: "Accepted",
    RecordStatus.APPROVED: "Accepted",
    RecordStatus.SUBMITTED: "Pending",
    RecordStatus.TRANSMITTED: "Pending",
    RecordStatus.REJECTED: "Rejected",
    RecordStatus.DELETED: "Deleted",
}


def _board_error(entry: object) -> RowError:
    # The board cycle stores {"code", "message"} for each code; older rows hold the bare code.
    if isinstance(entry, dict):
        return RowError(
            str(entry.get("code", "")), str(entry.get("message") or "Rejected by the board.")
        )
    code = str(entry)
    return error(code) if code in CODES else RowError(code, "Rejected by the board.")


def _board_errors(record: CompletionRecord) -> list[RowError]:
    if record.status != RecordStatus.REJECTED:
        return []
    return [_board_error(entry) for entry in record.board_codes or []]


def status_line(record: CompletionRecord) -> StatusLine:
    submitted = timezone.localtime(record.created_at).strftime("%m/%d/%Y %I:%M:%S %p")
    learner = record.learner_id if record.learner_id is not None else ""
    return StatusLine(
        data=(
            f"Activity Id: {record.activity.activity_id}; Submission Date: {submitted}; "
            f"Learner Id: {learner}"
        ),
        status=STATUS_CODES.get(RecordStatus(record.status), record.status),
        errors=_board_errors(record),
    )


def _lines(records: QuerySet[CompletionRecord]) -> list[StatusLine]:
    records = records.select_related("activity").order_by("created_at", "id")
    return [status_line(record) for record in records[:STATUS_LIMIT]]


def learner_status_by_credit_id(*, provider: Provider, credit_id: str) -> list[StatusLine]:
    """The provider's record with that Credit ID (none when it is unknown or another's)."""
    return _lines(CompletionRecord.objects.for_provider(provider).filter(credit_id=credit_id))


def learner_status_by_learner(
    *,
    provider: Provider,
    activity_id: int,
    birth_month: int,
    birth_day: int,
    completion_date: date,
    unique_id: str,
) -> list[StatusLine]:
    """The provider's records of one learner (a board id, licence id or NPI) on one completion."""
    same_learner = (
        Q(diplomate_id=unique_id)
        | Q(license_id=unique_id)
        | Q(npi=unique_id)
        | Q(learner__npi=unique_id)
        | Q(learner__board_ids__diplomate_id=unique_id)
        | Q(learner__licenses__license_id=unique_id)
    )
    records = (
        CompletionRecord.objects.for_provider(provider)
        .filter(
            activity__activity_id=f"{activity_id:09d}" if 0 <= activity_id < 10**9 else "",
            completion_date=completion_date,
            learner__birth_month=birth_month,
            learner__birth_day=birth_day,
        )
        .filter(same_learner)
    )
    ids = records.values("id").distinct()
    return _lines(CompletionRecord.objects.filter(id__in=ids))


# -- Learner Match -----------------------------------------------------------------------------


class MatchCriteriaError(Exception):
    """The request can't identify anyone; the message says what to add or fix."""


@dataclass(frozen=True)
class MatchCriteria:
    first_name: str
    last_name: str
    birth_month: int | None = None
    birth_day: int | None = None
    board_ids: tuple[tuple[str, str], ...] = ()
    license_id: str = ""
    medical_school: str = ""
    npi: str = ""
    state: str = ""
    me_number: str = ""  # the legacy LearnerMatchRequest's MedicalEducationNumber


def match_criteria_problems(criteria: MatchCriteria) -> list[str]:
    """What makes the criteria unusable: PARS needs both names and at least one more fact."""
    problems = []
    if not criteria.first_name or not criteria.last_name:
        problems.append("FirstName and LastName are required.")
    if (criteria.birth_month is None) != (criteria.birth_day is None):
        problems.append("BirthDay and BirthMonth go together.")
    if criteria.birth_month is not None and not 1 <= criteria.birth_month <= 12:
        problems.append(f"BirthMonth {criteria.birth_month} is not a month (1-12).")
    if criteria.birth_day is not None and not 1 <= criteria.birth_day <= 31:
        problems.append(f"BirthDay {criteria.birth_day} is not a day of the month (1-31).")
    if criteria.npi and not is_valid_npi(criteria.npi):
        problems.append(f"Npi '{criteria.npi}' is not a valid 10-digit NPI.")
    if bool(criteria.license_id) != bool(criteria.state):
        problems.append("LicenseId and StateName go together.")
    if criteria.state and state_code(criteria.state) is None:
        problems.append(f"StateName '{criteria.state}' is not a US state (use e.g. OH).")
    facts = (
        criteria.birth_month is not None and criteria.birth_day is not None,
        any(learner_id for _, learner_id in criteria.board_ids),
        criteria.license_id and criteria.state,
        criteria.medical_school,
        criteria.npi,
        criteria.me_number,
    )
    if not any(facts):
        problems.append(
            "Give at least one of BirthDay with BirthMonth, BoardIds (Board and LearnerId), "
            "LicenseId with StateName, MedicalSchoolName or Npi."
        )
    return problems


def learner_match(*, criteria: MatchCriteria) -> int:
    """How many directory learners fit the criteria (1 = safe to submit)."""
    problems = match_criteria_problems(criteria)
    if problems:
        raise MatchCriteriaError(" ".join(problems))
    # The count function takes one board id: the first BoardId that carries a LearnerId.
    board, board_id = next(((b, i) for b, i in criteria.board_ids if i), ("", ""))
    return learner_match_count(
        first_name=criteria.first_name,
        last_name=criteria.last_name,
        birth_month=criteria.birth_month,
        birth_day=criteria.birth_day,
        npi=criteria.npi,
        licensing_state=state_code(criteria.state) or "",
        license_id=criteria.license_id,
        board=board,
        board_id=board_id,
        medical_school=criteria.medical_school,
        me_number=criteria.me_number,
    )
