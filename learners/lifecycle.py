"""The board lifecycle (SPEC §6): Submitted MOC records go to their certifying board overnight.

`board_cycle_run` moves every Submitted MOC record to Transmitted, then hands the Transmitted ones
to a simulated board per certifying board, which approves or rejects each by its own rules. Every
move is a conditional UPDATE on the current status, so two runs (or a retried task) never handle a
record twice, and a run that died half-way is finished by the next one. Rejections are emailed to
each provider's primary contact, once per provider per run, after the statuses are stored: a run
that dies before its emails leaves the rejections (with their codes) on the screens only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from activities.models import MocRegistration
from learners.engine.codes import error
from learners.engine.names import name_key
from learners.engine.results import RowError
from learners.models import CompletionRecord, LearnerBoardId, RecordStatus
from portal.models import Provider

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500


@dataclass(frozen=True)
class BoardPolicy:
    """What one simulated board checks beyond identity and points."""

    # ABP gives MOC credit once per activity, completion date and diplomate.
    once_per_activity_day: bool = False


# Boards as data: a board not listed here checks identity and points only.
BOARD_POLICIES: dict[str, BoardPolicy] = {"ABP": BoardPolicy(once_per_activity_day=True)}
DEFAULT_POLICY = BoardPolicy()


@dataclass(frozen=True)
class Person:
    """A name and birthday, as the board compares them."""

    first_name: str
    last_name: str
    birth_month: int
    birth_day: int

    @property
    def name_keys(self) -> tuple[str, str]:
        return name_key(self.first_name), name_key(self.last_name)


@dataclass(frozen=True)
class Submission:
    """What the board receives for one record."""

    record_id: int
    board: str
    board_id: str
    activity_id: str
    completion_date: date
    points: Decimal | None
    learner: Person | None


def board_decision(
    submission: Submission,
    *,
    diplomate: Person | None,
    offered_points: Decimal | None,
    policy: BoardPolicy,
    already_credited: bool,
) -> list[RowError]:
    """The board's verdict on one submission: no errors means approved."""
    where = {"board": submission.board, "board_id": submission.board_id}
    errors: list[RowError] = []
    learner = submission.learner
    if diplomate is None:
        errors.append(error("661", **where))
    elif learner is None:
        errors.append(error("718", identity=f"{submission.board} {submission.board_id}"))
    else:
        if (learner.birth_month, learner.birth_day) != (diplomate.birth_month, diplomate.birth_day):
            birth = f"{learner.birth_month:02d}/{learner.birth_day:02d}"
            errors.append(error("664", birth_date=birth, **where))
        if learner.name_keys != diplomate.name_keys:
            name = f"{learner.first_name} {learner.last_name}"
            errors.append(error("665", name=name, **where))
    if offered_points is None:
        errors.append(error("670", activity_id=submission.activity_id, board=submission.board))
    elif submission.points is not None and submission.points > offered_points:
        errors.append(
            error(
                "674",
                points=submission.points,
                offered=offered_points,
                activity_id=submission.activity_id,
                board=submission.board,
            )
        )
    if policy.once_per_activity_day and already_credited:
        errors.append(
            error(
                "717",
                activity_id=submission.activity_id,
                completion_date=submission.completion_date.strftime("%m/%d/%Y"),
            )
        )
    return errors


@dataclass
class Rejection:
    """One record a board rejected in this run, for the provider's email."""

    credit_id: str
    activity_id: str
    activity_title: str
    completion_date: date
    board: str
    board_id: str
    errors: list[RowError]


@dataclass
class CycleSummary:
    transmitted: int = 0
    approved: int = 0
    rejected: int = 0
    emails: int = 0
    rejections: dict[int, list[Rejection]] = field(default_factory=lambda: defaultdict(list))


def board_records_transmit() -> int:
    """Submitted → Transmitted for every MOC record, in one conditional UPDATE."""
    return CompletionRecord.objects.filter(
        status=RecordStatus.SUBMITTED, board__isnull=False
    ).update(status=RecordStatus.TRANSMITTED, updated_at=timezone.now())


def _diplomate_key(board_pk: int, diplomate_id: str) -> tuple[int, str]:
    # Exact ids, as the intake matching compares them.
    return board_pk, diplomate_id.strip()


def _credit_key(record: CompletionRecord) -> tuple[int, int, date, str]:
    return (
        record.activity_id,
        record.board_id,
        record.completion_date,
        record.diplomate_id.strip().casefold(),
    )  # type: ignore[return-value]


def _diplomates(records: Sequence[CompletionRecord]) -> dict[tuple[int, str], Person]:
    ids = {r.diplomate_id.strip() for r in records}
    found = LearnerBoardId.objects.filter(
        board_id__in={r.board_id for r in records}, diplomate_id__in=ids
    ).select_related("learner")
    return {
        _diplomate_key(b.board_id, b.diplomate_id): Person(
            b.learner.first_name, b.learner.last_name, b.learner.birth_month, b.learner.birth_day
        )
        for b in found
    }


def _offered_points(records: Sequence[CompletionRecord]) -> dict[tuple[int, int], Decimal]:
    registrations = MocRegistration.objects.filter(
        activity_id__in={r.activity_id for r in records}, board_id__in={r.board_id for r in records}
    )
    return {(m.activity_id, m.board_id): m.points for m in registrations}


def _credited(records: Sequence[CompletionRecord]) -> set[tuple[int, int, date, str]]:
    """Activity/date/diplomate keys already approved, for the boards that credit once a day."""
    once_boards = [code for code, policy in BOARD_POLICIES.items() if policy.once_per_activity_day]
    approved = CompletionRecord.objects.filter(
        status=RecordStatus.APPROVED,
        board__code__in=once_boards,
        activity_id__in={r.activity_id for r in records},
    ).only("activity_id", "board_id", "completion_date", "diplomate_id")
    return {_credit_key(r) for r in approved}


def _submission(record: CompletionRecord) -> Submission:
    learner = record.learner
    person = (
        Person(learner.first_name, learner.last_name, learner.birth_month, learner.birth_day)
        if learner
        else None
    )
    return Submission(
        record_id=record.pk,
        board=record.board.code,  # type: ignore[union-attr]
        board_id=record.diplomate_id,
        activity_id=record.activity.activity_id,
        completion_date=record.completion_date,
        points=record.moc_points,
        learner=person,
    )


def _judge_chunk(records: Sequence[CompletionRecord], summary: CycleSummary) -> None:
    """One round trip per look-up for the whole chunk, then one UPDATE per verdict."""
    diplomates = _diplomates(records)
    offered = _offered_points(records)
    credited = _credited(records)
    approved_ids: list[int] = []
    for record in records:
        policy = BOARD_POLICIES.get(record.board.code, DEFAULT_POLICY)  # type: ignore[union-attr]
        errors = board_decision(
            _submission(record),
            diplomate=diplomates.get(_diplomate_key(record.board_id, record.diplomate_id)),  # type: ignore[arg-type]
            offered_points=offered.get((record.activity_id, record.board_id)),  # type: ignore[arg-type]
            policy=policy,
            already_credited=_credit_key(record) in credited,
        )
        if not errors:
            approved_ids.append(record.pk)
            credited.add(_credit_key(record))
        elif _reject(record, errors):
            summary.rejected += 1
            summary.rejections[record.provider_id].append(_rejection(record, errors))
    summary.approved += CompletionRecord.objects.filter(
        pk__in=approved_ids, status=RecordStatus.TRANSMITTED
    ).update(status=RecordStatus.APPROVED, board_codes=[], updated_at=timezone.now())


def _reject(record: CompletionRecord, errors: list[RowError]) -> bool:
    """True when this run moved the record (another run may have answered it first)."""
    codes = [{"code": e.code, "message": e.message} for e in errors]
    updated = CompletionRecord.objects.filter(pk=record.pk, status=RecordStatus.TRANSMITTED).update(
        status=RecordStatus.REJECTED, board_codes=codes, updated_at=timezone.now()
    )
    return updated == 1


def _rejection(record: CompletionRecord, errors: list[RowError]) -> Rejection:
    return Rejection(
        credit_id=record.credit_id,
        activity_id=record.activity.activity_id,
        activity_title=record.activity.title,
        completion_date=record.completion_date,
        board=record.board.code,  # type: ignore[union-attr]
        board_id=record.diplomate_id,
        errors=errors,
    )


def board_answers_receive(summary: CycleSummary) -> None:
    """The simulated boards judge every Transmitted record, oldest first, in chunks."""
    last_pk = 0
    transmitted = CompletionRecord.objects.filter(status=RecordStatus.TRANSMITTED)
    while True:
        chunk = list(
            transmitted.filter(pk__gt=last_pk)
            .select_related("learner", "board", "activity")
            .order_by("pk")[:CHUNK_SIZE]
        )
        if not chunk:
            return
        with transaction.atomic():
            _judge_chunk(chunk, summary)
        last_pk = chunk[-1].pk


def board_cycle_run(*, today: date) -> CycleSummary:
    """The nightly job: transmit Submitted MOC records, take the boards' answers, email rejections."""
    summary = CycleSummary(transmitted=board_records_transmit())
    board_answers_receive(summary)
    providers = Provider.objects.in_bulk(list(summary.rejections))
    for provider_pk, rejections in summary.rejections.items():
        if board_rejection_email_send(
            provider=providers[provider_pk], rejections=rejections, today=today
        ):
            summary.emails += 1
    logger.info(
        "Board cycle %s: %d transmitted, %d approved, %d rejected, %d emails",
        today,
        summary.transmitted,
        summary.approved,
        summary.rejected,
        summary.emails,
    )
    return summary


def board_rejection_email_send(
    *, provider: Provider, rejections: Iterable[Rejection], today: date
) -> bool:
    """One email to the provider's primary contact listing the rejected Credit IDs with codes."""
    if not provider.primary_contact_email:
        logger.warning("Provider %s has no primary contact: rejection email not sent", provider)
        return False
    rejections = list(rejections)
    context = {
        "provider": provider,
        "rejections": rejections,
        "count": len(rejections),
        "today": today,
        "summary_url": settings.SITE_URL + reverse("learners:activity_summary"),
        "site_url": settings.SITE_URL,
    }
    subject = " ".join(render_to_string("emails/board_rejection_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/board_rejection_body.txt", context),
        to=[provider.primary_contact_email],
    )
    message.attach_alternative(
        render_to_string("emails/board_rejection_body.html", context), "text/html"
    )
    message.send()
    return True
