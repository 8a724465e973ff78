"""The board lifecycle: Submitted → Transmitted → Approved or Rejected, emails, and re-runs."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from emails.messages import board_rejection_emails
from emails.models import Email
from learners import lifecycle
from learners.engine.matching import Person
from learners.engine.names import name_key
from learners.lifecycle import (
    CycleSummary,
    Submission,
    _approval_blocks,
    board_cycle_run,
    board_decision,
    board_records_transmit,
)
from learners.models import Board, CompletionRecord, Learner, RecordStatus
from learners.tasks import board_cycle
from portal.celery import app
from portal.models import Provider
from tests.concurrency import together
from tests.factories import (
    ActivityFactory,
    CompletionRecordFactory,
    LearnerFactory,
    ProviderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen(time_machine: object) -> None:
    noon = datetime(2026, 11, 22, 2, 0, tzinfo=ZoneInfo("America/Chicago"))
    time_machine.move_to(noon, tick=False)  # type: ignore[attr-defined]


@pytest.fixture
def imu(provider: Provider) -> Activity:
    return ActivityFactory(provider=provider, start_date=date(2026, 9, 1), boards={"ABIM": "10"})


@pytest.fixture
def peds(provider: Provider) -> Activity:
    return ActivityFactory(provider=provider, start_date=date(2026, 9, 1), boards={"ABP": "25"})


@pytest.fixture
def jane() -> Learner:
    return LearnerFactory(
        first_name="Jane",
        last_name="Smith-Jones",
        birth_month=10,
        birth_day=30,
        board_ids={"ABIM": "999902", "ABP": "700001"},
    )


_DAYS = itertools.count()


def _moc(activity: Activity, learner: Learner | None, **kwargs: object) -> CompletionRecord:
    """A MOC record; each on a day of its own (one live completion per learner and date)."""
    board = next(iter(activity.moc_registrations.all())).board
    defaults: dict[str, object] = {
        "activity": activity,
        "learner": learner,
        "board": board,
        "diplomate_id": dict(learner.board_ids.values_list("board__code", "diplomate_id")).get(
            board.code, ""
        )
        if learner
        else "",
        "moc_points": Decimal("2"),
        "moc_credits": [{"type": "Medical Knowledge", "points": "2.00"}],
        "completion_date": date(2026, 9, 1) + timedelta(days=next(_DAYS) % 60),
        "status": RecordStatus.SUBMITTED,
    }
    defaults.update(kwargs)
    return CompletionRecordFactory(**defaults)


def _status(record: CompletionRecord) -> str:
    record.refresh_from_db()
    return record.status


def _codes(record: CompletionRecord) -> list[str]:
    record.refresh_from_db()
    return [c["code"] for c in record.board_codes]


def test_it_transmits_submitted_moc_records_then_the_board_approves_them(
    imu: Activity, jane: Learner, deliver_emails: Any
) -> None:
    record = _moc(imu, jane)

    assert board_records_transmit() == 1
    assert _status(record) == RecordStatus.TRANSMITTED

    summary = board_cycle_run(today=TODAY)

    assert _status(record) == RecordStatus.APPROVED
    assert record.board_codes == []
    assert (summary.transmitted, summary.approved, summary.rejected) == (0, 1, 0)
    assert deliver_emails() == []


def test_it_runs_the_whole_cycle_in_one_go(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane)

    summary = board_cycle_run(today=TODAY)

    assert (summary.transmitted, summary.approved) == (1, 1)
    assert _status(record) == RecordStatus.APPROVED


def test_it_leaves_cme_only_and_deleted_records_alone(imu: Activity, jane: Learner) -> None:
    cme = CompletionRecordFactory(activity=imu, learner=jane, status=RecordStatus.ACCEPTED)
    deleted = _moc(imu, jane, status=RecordStatus.DELETED)

    summary = board_cycle_run(today=TODAY)

    assert summary.transmitted == 0
    assert _status(cme) == RecordStatus.ACCEPTED
    assert _status(deleted) == RecordStatus.DELETED


def test_it_rejects_a_birth_date_that_differs_from_the_diplomates(
    imu: Activity, jane: Learner
) -> None:
    # The directory matched a namesake born on another day; the board knows the diplomate id.
    namesake = LearnerFactory(
        first_name="Jane", last_name="Smith-Jones", birth_month=1, birth_day=2
    )
    record = _moc(imu, namesake, diplomate_id="999902")

    board_cycle_run(today=TODAY)

    assert _status(record) == RecordStatus.REJECTED
    assert _codes(record) == ["664"]
    assert "01/02" in record.board_codes[0]["message"]


def test_it_rejects_a_name_that_differs_from_the_diplomates(imu: Activity, jane: Learner) -> None:
    other = LearnerFactory(first_name="Joan", last_name="Smith", birth_month=10, birth_day=30)
    record = _moc(imu, other, diplomate_id="999902")

    board_cycle_run(today=TODAY)

    assert _codes(record) == ["665"]


def test_it_rejects_an_unknown_diplomate(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane, diplomate_id="000000")

    board_cycle_run(today=TODAY)

    assert _status(record) == RecordStatus.REJECTED
    assert _codes(record) == ["661"]


def test_it_rejects_points_above_the_activitys_registration(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane, moc_points=Decimal("12"))

    board_cycle_run(today=TODAY)

    assert _codes(record) == ["674"]


def test_it_never_holds_two_live_completions_of_one_learner_activity_and_date(
    peds: Activity, jane: Learner
) -> None:
    # What ABP refused at the board (credit once per activity, date and diplomate) the database
    # now refuses at intake: 709 is a constraint.
    _moc(peds, jane, credit_id="ABP-1", completion_date=date(2026, 10, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        _moc(peds, jane, credit_id="ABP-2", completion_date=date(2026, 10, 1))
    other_day = _moc(peds, jane, credit_id="ABP-3", completion_date=date(2026, 10, 2))

    board_cycle_run(today=TODAY)

    assert _status(other_day) == RecordStatus.APPROVED


def test_it_emails_the_primary_contact_once_per_provider_with_codes(
    provider: Provider, imu: Activity, jane: Learner, deliver_emails: Any
) -> None:
    bad_id = _moc(imu, jane, credit_id="CR-1", diplomate_id="000000")
    too_many = _moc(imu, jane, credit_id="CR-2", moc_points=Decimal("11"))
    _moc(imu, jane, credit_id="CR-3")
    elsewhere = ProviderFactory(primary_contact_email="cme@elsewhere.test")
    their_activity = ActivityFactory(
        provider=elsewhere, start_date=date(2026, 9, 1), boards={"ABIM": "10"}
    )
    _moc(their_activity, jane, credit_id="THEIRS-1", diplomate_id="000001")

    summary = board_cycle_run(today=TODAY)
    mailoutbox = deliver_emails()

    assert (summary.approved, summary.rejected, summary.emails) == (1, 3, 2)
    ours = next(m for m in mailoutbox if m.to == [provider.primary_contact_email])  # type: ignore[attr-defined]
    assert ours.subject == "PARS: 2 learner records rejected by the certifying board"
    for text in ("CR-1", "661", "CR-2", "674", bad_id.activity.activity_id, "000000"):
        assert text in ours.body, text
    assert "CR-3" not in ours.body
    assert "THEIRS-1" not in ours.body
    html = ours.alternatives[0][0]
    assert "CR-1" in html and "<strong>674</strong>" in html
    assert reverse("learners:activity_detail", args=[too_many.activity.activity_id]) in html
    theirs = next(m for m in mailoutbox if m.to == ["cme@elsewhere.test"])  # type: ignore[attr-defined]
    assert "THEIRS-1" in theirs.body
    assert "CR-1" not in theirs.body


def test_the_cycle_queues_rejection_emails_that_their_send_task_renders(
    provider: Provider,
    imu: Activity,
    jane: Learner,
    deliver_emails: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Thousands of providers' emails in one run: the cycle stores ids, the send task renders.
    rejected = _moc(imu, jane, credit_id="CR-9", diplomate_id="000000")
    with (
        mock.patch("emails.services.email_dispatch", return_value=True) as dispatch,
        django_capture_on_commit_callbacks(execute=True),
    ):
        board_cycle_run(today=TODAY)
    email = Email.objects.get()
    assert (email.kind, email.facts, email.body) == (
        "board_rejection",
        {"provider": provider.pk, "records": [rejected.pk], "today": TODAY.isoformat()},
        "",
    )
    dispatch.assert_called_once_with(email_id=email.pk)

    [sent] = deliver_emails()

    email.refresh_from_db()
    assert "CR-9" in sent.body and "661" in sent.body
    assert (email.subject, email.body, email.status) == (sent.subject, sent.body, "sent")
    assert board_rejection_emails(rejected={provider.pk: [rejected.pk]}, today=TODAY) == 0
    assert Email.objects.count() == 1


def _updates() -> tuple[int, int]:
    """The record updates this transaction made so far, and how many of them in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'learners_completionrecord'"
        )
        return cursor.fetchone() or (0, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="heap-only updates are PostgreSQL's")
def test_a_board_answer_rewrites_the_record_in_place_without_touching_an_index(
    imu: Activity, jane: Learner
) -> None:
    # No index names the status (the 709 constraints test the generated `live` column), and
    # pages keep free room: PostgreSQL writes each answer as a heap-only tuple, which is what
    # makes the nightly cycle fast at production size.
    _moc(imu, jane)
    _moc(imu, jane, diplomate_id="000000")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'learners_completionrecord'"
        )
        assert cursor.fetchone()[0] == ["fillfactor=85"]
    before = _updates()

    summary = board_cycle_run(today=TODAY)

    updated, in_place = (after - first for after, first in zip(_updates(), before, strict=True))
    assert (updated, in_place) == (2, 2)
    assert (summary.approved, summary.rejected) == (1, 1)


@pytest.fixture
def two_blocks(imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fourteen records awaiting a board, in parts of two: a block of six parts and one of two."""
    monkeypatch.setattr("learners.lifecycle.CHUNK_SIZE", 2)
    return [_moc(imu, jane).pk for _ in range(14)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one part on SQLite")
def test_it_approves_neighbouring_records_in_separate_parts(two_blocks: list[int]) -> None:
    # Neighbours by id share a page: each part (its own transaction) takes every sixth record,
    # so the next part finds room where the last one's old versions were pruned.
    ids = two_blocks
    awaiting = CompletionRecord.objects.filter(status=RecordStatus.SUBMITTED)

    waiting = list(awaiting.order_by("pk").values_list("pk", flat=True))
    blocks = _approval_blocks(awaiting, waiting)
    parts = [sorted(part.values_list("pk", flat=True)) for block in blocks for part in block]
    summary = board_cycle_run(today=TODAY)

    assert parts == [ids[i:12:6] for i in range(6)] + [[ids[12]], [ids[13]]]
    assert summary.approved == 14


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one part on SQLite")
def test_it_approves_the_first_part_of_every_block_before_the_second_of_any(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page's old versions are pruned only once no statement that was running when they died
    # still runs; the other blocks' parts in between give another connection's time to end.
    ids = two_blocks
    order: list[list[int]] = []
    approve = lifecycle._approve

    def recording(valid: Any, summary: CycleSummary) -> list[int]:
        order.append(sorted(valid.values_list("pk", flat=True)))
        return approve(valid, summary)

    monkeypatch.setattr("learners.lifecycle._approve", recording)
    summary = board_cycle_run(today=TODAY)

    first_block = [ids[i:12:6] for i in range(6)]
    assert order[:4] == [first_block[0], [ids[12]], first_block[1], [ids[13]]]
    assert order[4:] == first_block[2:]
    assert summary.approved == 14


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_three_runs_at_once_answer_each_record_once(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("learners.lifecycle.CHUNK_SIZE", 3)
    valid = [_moc(imu, jane).pk for _ in range(12)]
    invalid = [_moc(imu, jane, diplomate_id="000000").pk for _ in range(8)]

    def hold_the_records() -> None:
        # The runs choose their records while these locks hold, then queue behind them.
        with transaction.atomic():
            list(CompletionRecord.objects.select_for_update())
            time.sleep(1.0)

    def run() -> CycleSummary:
        time.sleep(0.3)
        return board_cycle_run(today=TODAY)

    _, *summaries = together([hold_the_records, run, run, run])

    assert not [s for s in summaries if isinstance(s, Exception)], summaries
    assert sum(s.approved for s in summaries) == len(valid)
    assert sum(s.rejected for s in summaries) == len(invalid)
    assert sum(s.transmitted for s in summaries) == len(valid) + len(invalid)
    statuses = dict(CompletionRecord.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in valid} == {RecordStatus.APPROVED}
    assert {statuses[pk] for pk in invalid} == {RecordStatus.REJECTED}
    emailed = [pk for email in Email.objects.all() for pk in email.facts["records"]]
    assert sorted(emailed) == sorted(invalid)


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The cycle shared between two connections, in blocks of 12 records and chunks of 2."""
    settings.BOARD_CYCLE_WORKERS = 2
    monkeypatch.setattr("learners.lifecycle.CHUNK_SIZE", 2)


def _connections_used(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[tuple[str, int]]]:
    """(thread, database backend) of every approval part and judged chunk, as they run."""
    used: dict[str, set[tuple[str, int]]] = {"approve": set(), "judge": set()}
    for step, name in (("approve", "_approve"), ("judge", "_judge_chunk")):
        original = getattr(lifecycle, name)

        def watched(*args: Any, _original: Any = original, _step: str = step) -> Any:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            used[_step].add((threading.current_thread().name, pid))
            return _original(*args)

        monkeypatch.setattr(lifecycle, name, watched)
    return used


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="shared on PostgreSQL only")
def test_the_cycle_shares_its_records_between_connections_and_answers_each_once(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch, two_workers: None
) -> None:
    valid = [_moc(imu, jane).pk for _ in range(30)]
    left = [_moc(imu, jane, status=RecordStatus.TRANSMITTED).pk for _ in range(3)]
    invalid = [_moc(imu, jane, diplomate_id="000000").pk for _ in range(7)]
    used = _connections_used(monkeypatch)

    summary = board_cycle_run(today=TODAY)

    statuses = dict(CompletionRecord.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in valid + left} == {RecordStatus.APPROVED}
    assert {statuses[pk] for pk in invalid} == {RecordStatus.REJECTED}
    assert (summary.approved, summary.rejected) == (33, 7)
    assert summary.transmitted == 37  # the three left Transmitted were sent by an earlier run
    assert summary.rejections == {imu.provider_id: sorted(invalid)}
    [email] = Email.objects.all()
    assert email.facts["records"] == sorted(invalid)
    for step in ("approve", "judge"):
        threads = {thread for thread, _ in used[step]}
        backends = {pid for _, pid in used[step]}
        assert len(threads) == len(backends) == 2, (step, used[step])
        assert all(t.startswith("board-cycle") for t in threads)
    with connection.cursor() as cursor:  # the workers' connections are closed with them
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    workers = {pid for step in used.values() for _, pid in step} - {mine}
    assert _backends_gone(workers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="shared on PostgreSQL only")
def test_a_share_that_fails_fails_the_run_and_the_next_run_answers_the_rest_once(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch, two_workers: None
) -> None:
    valid = [_moc(imu, jane).pk for _ in range(30)]
    invalid = [_moc(imu, jane, diplomate_id="000000").pk for _ in range(6)]
    judge_chunk = lifecycle._judge_chunk

    def fails_on_the_last_chunk(before: dict[int, str], summary: CycleSummary) -> None:
        if max(invalid) in before:
            raise RuntimeError("the database went away")
        judge_chunk(before, summary)

    monkeypatch.setattr(lifecycle, "_judge_chunk", fails_on_the_last_chunk)
    with pytest.raises(RuntimeError, match="went away"):
        board_cycle_run(today=TODAY)
    first = dict(CompletionRecord.objects.values_list("pk", "status"))
    monkeypatch.setattr(lifecycle, "_judge_chunk", judge_chunk)

    summary = board_cycle_run(today=TODAY)

    statuses = dict(CompletionRecord.objects.values_list("pk", "status"))
    assert {first[pk] for pk in valid} == {RecordStatus.APPROVED}  # committed before the failure
    assert {statuses[pk] for pk in valid} == {RecordStatus.APPROVED}
    assert {statuses[pk] for pk in invalid} == {RecordStatus.REJECTED}
    answered_first = [pk for pk in invalid if first[pk] == RecordStatus.REJECTED]
    assert 0 < len(answered_first) < len(invalid)
    assert (summary.approved, summary.rejected) == (0, len(invalid) - len(answered_first))
    assert summary.rejections == {imu.provider_id: sorted(set(invalid) - set(answered_first))}


def _backends_gone(pids: set[int]) -> bool:
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
            if not cursor.fetchall():
                return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="shared on PostgreSQL only")
def test_inside_a_transaction_the_cycle_answers_on_the_callers_connection(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch, two_workers: None
) -> None:
    # A worker thread's connection could neither see the transaction's records nor be rolled
    # back with it.
    for _ in range(20):
        _moc(imu, jane)
    _moc(imu, jane, diplomate_id="000000")
    _moc(imu, jane, diplomate_id="000000")
    _moc(imu, jane, diplomate_id="000000")
    used = _connections_used(monkeypatch)

    summary = board_cycle_run(today=TODAY)

    assert (summary.approved, summary.rejected) == (20, 3)
    assert {thread for step in used.values() for thread, _ in step} == {"MainThread"}


def test_a_second_run_changes_nothing(
    imu: Activity, jane: Learner, deliver_emails: Any, time_machine: object
) -> None:
    approved = _moc(imu, jane)
    rejected = _moc(imu, jane, diplomate_id="000000")
    board_cycle_run(today=TODAY)
    mailoutbox = deliver_emails()
    before = {r.pk: (r.status, r.board_codes, r.updated_at) for r in CompletionRecord.objects.all()}
    emails = len(mailoutbox)
    time_machine.move_to(datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("America/Chicago")))  # type: ignore[attr-defined]

    summary = board_cycle_run(today=date(2026, 11, 23))
    deliver_emails()

    after = {r.pk: (r.status, r.board_codes, r.updated_at) for r in CompletionRecord.objects.all()}
    assert after == before
    assert (summary.transmitted, summary.approved, summary.rejected, summary.emails) == (0, 0, 0, 0)
    assert len(mailoutbox) == emails == 1
    assert _status(approved) == RecordStatus.APPROVED
    assert _status(rejected) == RecordStatus.REJECTED


def test_it_finishes_records_a_crashed_run_left_transmitted(imu: Activity, jane: Learner) -> None:
    leftover = _moc(imu, jane, status=RecordStatus.TRANSMITTED)

    summary = board_cycle_run(today=TODAY)

    assert summary.transmitted == 0
    assert _status(leftover) == RecordStatus.APPROVED


def test_it_judges_records_in_chunks(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("learners.lifecycle.CHUNK_SIZE", 2)
    records = [_moc(imu, jane) for _ in range(5)]

    summary = board_cycle_run(today=TODAY)

    assert summary.approved == 5
    assert {_status(r) for r in records} == {RecordStatus.APPROVED}


def test_it_answers_with_the_collector_paused_and_leaves_it_running(
    imu: Activity, jane: Learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved, judged = _moc(imu, jane), _moc(imu, jane, diplomate_id="000000")
    collecting: list[bool] = []
    for step in ("_approve", "_judge_chunk"):
        real = getattr(lifecycle, step)

        def spy(*args: Any, real: Any = real) -> Any:
            collecting.append(gc.isenabled())
            return real(*args)

        monkeypatch.setattr(lifecycle, step, spy)

    board_cycle_run(today=TODAY)

    assert (_status(approved), _status(judged)) == (RecordStatus.APPROVED, RecordStatus.REJECTED)
    assert collecting and not any(collecting)  # paused in both steps
    assert gc.isenabled()


def test_it_skips_the_email_for_a_provider_without_a_contact(
    provider: Provider, imu: Activity, jane: Learner, deliver_emails: Any
) -> None:
    Provider.objects.filter(pk=provider.pk).update(primary_contact_email="")
    record = _moc(imu, jane, diplomate_id="000000")

    summary = board_cycle_run(today=TODAY)

    assert _status(record) == RecordStatus.REJECTED
    assert (summary.emails, deliver_emails()) == (0, [])


def test_the_statuses_show_on_the_activity_page_and_in_search(
    staff_client: Client, imu: Activity, jane: Learner
) -> None:
    _moc(imu, jane, credit_id="OK-1")
    _moc(imu, jane, credit_id="NO-1", diplomate_id="000000")
    board_cycle_run(today=TODAY)

    detail = staff_client.get(reverse("learners:activity_detail", args=[imu.activity_id]))
    search = staff_client.get(reverse("learners:learner_search"), {"status": "rejected"})
    summary = staff_client.get(reverse("learners:activity_summary"))

    assert b"Approved" in detail.content and b"Rejected" in detail.content
    assert b"<strong>661</strong>" in detail.content
    assert [r.credit_id for r in search.context["page"]] == ["NO-1"]
    row = next(a for a in summary.context["page"] if a.pk == imu.pk)
    assert (row.n_approved, row.n_rejected) == (1, 1)


# -- The board's rules as a pure function ------------------------------------------------------


def _directory_person(first: str, last: str, month: int, day: int) -> Person:
    return Person(1, name_key(first), name_key(last), month, day, name=f"{first} {last}")


PERSON = _directory_person("Jane", "Smith-Jones", 10, 30)
SUBMISSION = Submission(
    record_id=1,
    board="ABIM",
    board_pk=1,
    board_id="999902",
    activity_id="200000001",
    completion_date=date(2026, 10, 1),
    points=Decimal("2"),
    learner=PERSON,
)


def _decide(**changes: object) -> list[str]:
    options: dict[str, object] = {"diplomate": PERSON, "offered_points": Decimal("10")}
    options.update(changes)
    return [e.code for e in board_decision(SUBMISSION, **options)]  # type: ignore[arg-type]


def test_the_board_approves_a_matching_submission() -> None:
    assert _decide() == []


def test_the_board_compares_names_like_the_engine() -> None:
    assert _decide(diplomate=_directory_person("JANE", "smith jones", 10, 30)) == []


def test_the_board_collects_every_reason() -> None:
    codes = _decide(diplomate=_directory_person("Joan", "Smith", 1, 1), offered_points=Decimal("1"))

    assert codes == ["664", "665", "674"]


def test_the_board_refuses_an_unknown_diplomate() -> None:
    assert _decide(diplomate=None) == ["661"]


def test_the_board_refuses_an_activity_no_longer_registered() -> None:
    assert _decide(offered_points=None) == ["670"]


# -- Entrances: task, command, admin ------------------------------------------------------------


def test_the_celery_task_runs_the_cycle(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane)

    result = board_cycle()

    assert result == {"transmitted": 1, "approved": 1, "rejected": 0, "emails": 0}
    assert _status(record) == RecordStatus.APPROVED
    assert board_cycle() == {"transmitted": 0, "approved": 0, "rejected": 0, "emails": 0}


def test_the_task_is_registered_under_the_name_beat_schedules() -> None:
    app.loader.import_default_modules()

    assert board_cycle.name == "learners.board_cycle"
    assert "learners.board_cycle" in app.tasks


def test_the_command_runs_the_cycle(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane)
    out = StringIO()

    call_command("run_board_cycle", "--today", "2026-11-22", stdout=out)

    assert "Board cycle 11/22/2026: 1 transmitted, 1 approved, 0 rejected" in out.getvalue()
    assert _status(record) == RecordStatus.APPROVED


def test_the_command_refuses_a_bad_date() -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_board_cycle", "--today", "22/11/2026")


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


RUN_URL = "admin:learners_completionrecord_run_board_cycle"


def test_the_admin_offers_a_button_to_run_the_cycle(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:learners_completionrecord_changelist"))

    assert response.status_code == 200
    assert b"Run board cycle now" in response.content
    assert reverse(RUN_URL).encode() in response.content


def test_the_admin_button_runs_the_cycle(
    admin_client: Client, imu: Activity, jane: Learner
) -> None:
    record = _moc(imu, jane)

    response = admin_client.post(reverse(RUN_URL), follow=True)

    assert response.status_code == 200
    assert b"Board cycle run: 1 transmitted, 1 approved, 0 rejected" in response.content
    assert _status(record) == RecordStatus.APPROVED


def test_the_admin_button_refuses_get(admin_client: Client) -> None:
    assert admin_client.get(reverse(RUN_URL)).status_code == 405


def test_the_admin_button_is_for_superusers_only(imu: Activity, jane: Learner) -> None:
    record = _moc(imu, jane)
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=False))

    assert client.post(reverse(RUN_URL)).status_code == 403
    assert _status(record) == RecordStatus.SUBMITTED


def test_the_admin_button_is_not_for_provider_staff(staff_client: Client) -> None:
    response = staff_client.post(reverse(RUN_URL))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_board_codes_are_kept_for_every_board(imu: Activity, jane: Learner) -> None:
    # Each board is data: every reference board has a simulated board that answers.
    for board in Board.objects.all():
        activity = ActivityFactory(
            provider=imu.provider, start_date=date(2026, 9, 1), boards={board.code: "5"}
        )
        _moc(activity, jane, diplomate_id="unknown")

    summary = board_cycle_run(today=TODAY)

    assert summary.rejected == Board.objects.count()
