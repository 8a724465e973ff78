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
from learners.engine.programs import Program
from learners.engine.results import RowError
from learners.engine.services import learner_record_save
from learners.formats.base import FileFormatError
from learners.models import CompletionRecord, RecordCreditId, RecordSource, RecordStatus
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
    results = learner_record_save(
        provider=provider,
        rows=list(report.rows),
        program=Program.REMS if report.rems else Program.BOARD,
        source=RecordSource.WEB_SERVICE,
        today=today,
    )
    return LearnerSaveOutcome(errors=[item for result in results for item in result.errors])


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
    """The provider's records holding that Credit ID, any certificate's (a REMS report's id
    answers each participant); none when it is unknown or another provider's."""
    # Two look-ups by their own unique keys: one OR across the join would scan every record
    # of the provider.
    own = CompletionRecord.objects.for_provider(provider).filter(credit_id=credit_id)
    held = RecordCreditId.objects.filter(provider=provider, credit_id=credit_id)
    ids = {*own.values_list("id", flat=True), *held.values_list("record_id", flat=True)}
    return _lines(CompletionRecord.objects.filter(id__in=ids))


def learner_status_by_learner(
    *,
    provider: Provider,
    activity_id: int,
    birth_month: int,
    birth_day: int,
    completion_date: date,
    unique_id: str,
) -> list[StatusLine]:
    """The provider's records of one learner (a board id, licence id, NPI or the AMA ME number a
    v1 record may match by) on one completion."""
    same_learner = (
        Q(diplomate_id=unique_id)
        | Q(license_id=unique_id)
        | Q(npi=unique_id)
        | Q(learner__npi=unique_id)
        | Q(learner__me_number=unique_id)
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
