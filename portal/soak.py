"""The soak: `make run`'s stack left up under load, as a new user would leave it.

runportal serves the portal (web server, worker, beat) on a free port; sandbox staff upload a small
learner file every few seconds over HTTP (so the web process writes the broker's messages), beat
ticks, an extra ticker sends a housekeeping task every second from another process, and halfway
through the worker is stopped with SIGTERM mid-upload (a restart: runportal starts it again). At
the end every upload must be completed, stored exactly once, the broker drained, and no worker
death other than the one the soak caused. `manage.py soak` prints the figures.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from learners.filegen import FileGenerationError, generate_learner_file
from learners.models import CompletionRecord
from learners.sandbox import DEMO_PASSWORD, PROVIDERS
from portal.httpsession import PortalSession, upload_id_of
from portal.models import Provider
from portal.runningportal import RunningPortal, live_processes_in
from portal.tasks import purge_auth_failures
from uploads.models import FINAL_STATUSES, Upload, UploadStatus

Say = Callable[[str], None]
DRAIN_TIMEOUT = 180.0


@dataclass(frozen=True)
class SoakPlan:
    seconds: float
    upload_every: float = 3.0
    rows: int = 10
    ticks_per_second: float = 1.0


@dataclass
class _Staff:
    provider: Provider
    session: PortalSession
    pending: int | None = None  # the upload not yet final: one at a time per provider


@dataclass
class SoakFigures:
    posted: dict[int, float] = field(default_factory=dict)  # upload id → when posted
    finished: dict[int, float] = field(default_factory=dict)  # upload id → when seen final
    refused: int = 0
    provider_busy: int = 0
    ticks_sent: int = 0
    tick_send_errors: int = 0
    restarted_worker: int | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def soak_run(plan: SoakPlan, say: Say) -> bool:
    """Run the soak; print its figures; True when every check holds."""
    log_path = Path(settings.VAR_DIR) / f"soak-{timezone.now():%Y%m%d-%H%M%S}.log"
    portal = RunningPortal(port=free_port(), env=os.environ, log_path=log_path)
    figures = SoakFigures()
    stop_ticking = threading.Event()
    try:
        portal.wait_until_serving()
        say(f"runportal serves {portal.base_url}; its log (worker and beat too): {log_path}")
        staff = [_login(portal.base_url, spec.accme_id, spec.staff_email) for spec in PROVIDERS]
        threading.Thread(target=_tick, args=(plan, figures, stop_ticking), daemon=True).start()
        _load(plan, portal, staff, figures, say)
        stop_ticking.set()
        _drain(staff, figures)
        left_in_broker = _broker_backlog()
        sessions = portal.sessions()
    finally:
        stop_ticking.set()
        exit_code = portal.interrupt(timeout=60)
    leftovers = live_processes_in(sessions)
    return _report(plan, portal, figures, left_in_broker, exit_code, leftovers, say)


def _login(base_url: str, accme_id: str, email: str) -> _Staff:
    session = PortalSession(base_url)
    session.login(email, DEMO_PASSWORD)
    return _Staff(Provider.objects.get(accme_id=accme_id), session)


def _tick(plan: SoakPlan, figures: SoakFigures, stop: threading.Event) -> None:
    """A third writer beside the web process and beat: a housekeeping task every tick."""
    while not stop.wait(1.0 / plan.ticks_per_second):
        try:
            purge_auth_failures.delay()
            figures.ticks_sent += 1
        except Exception:
            figures.tick_send_errors += 1


def _load(
    plan: SoakPlan, portal: RunningPortal, staff: list[_Staff], figures: SoakFigures, say: Say
) -> None:
    started = time.monotonic()
    end = started + plan.seconds
    restart_at = started + plan.seconds / 2
    turn = 0
    next_report = started + 60
    while time.monotonic() < end:
        tick_started = time.monotonic()
        _note_finished(staff, figures)
        member = staff[turn % len(staff)]
        turn += 1
        if member.pending is not None:
            figures.provider_busy += 1
        else:
            _post(member, plan, len(figures.posted) + figures.refused, figures)
            if figures.restarted_worker is None and time.monotonic() >= restart_at:
                figures.restarted_worker = _restart_worker_mid_upload(portal, member, say)
        if time.monotonic() >= next_report:
            next_report += 60
            say(
                f"  {(time.monotonic() - started) / 60:5.1f} min: {len(figures.posted)} posted, "
                f"{len(figures.finished)} finished, {figures.ticks_sent} ticks"
            )
        # Until the next post, watch for finished uploads often: the latency figures need it.
        while time.monotonic() < tick_started + plan.upload_every:
            _note_finished(staff, figures)
            time.sleep(0.05)


def _post(member: _Staff, plan: SoakPlan, n: int, figures: SoakFigures) -> None:
    try:
        data = generate_learner_file(
            provider=member.provider,
            rows=plan.rows,
            error_rate=0.2,
            file_type="txt",
            seed=n,
            today=timezone.localdate(),
        )
        mode = "submit"
    except FileGenerationError:
        # The sandbox ran out of fresh learner + activity pairs: check a file instead.
        data = generate_learner_file(
            provider=member.provider, rows=1, error_rate=1.0, file_type="txt", seed=n,
            today=timezone.localdate(),
        )  # fmt: skip
        mode = "check"
    answer = member.session.upload(name=f"Soak_{n:05d}.txt", data=data, mode=mode)
    upload_id = upload_id_of(answer)
    if upload_id is None:
        figures.refused += 1
        return
    member.pending = upload_id
    figures.posted[upload_id] = time.monotonic()


def _restart_worker_mid_upload(portal: RunningPortal, member: _Staff, say: Say) -> int:
    """SIGTERM to the worker while it works on `member`'s upload; runportal starts another."""
    upload_id = member.pending
    deadline = time.monotonic() + 10
    while upload_id is not None and time.monotonic() < deadline:
        if _status(upload_id) != UploadStatus.QUEUED:
            break
        time.sleep(0.01)
    worker = portal.started("Celery worker")[-1]
    os.kill(worker, signal.SIGTERM)
    say(f"  restarting the worker: SIGTERM to pid {worker} during upload {upload_id}")
    return worker


def _status(upload_id: int) -> str:
    return str(Upload.objects.filter(pk=upload_id).values_list("status", flat=True).get())


def _note_finished(staff: list[_Staff], figures: SoakFigures) -> None:
    for member in staff:
        if member.pending is not None and _status(member.pending) in FINAL_STATUSES:
            figures.finished[member.pending] = time.monotonic()
            member.pending = None


def _drain(staff: list[_Staff], figures: SoakFigures) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while any(m.pending is not None for m in staff) and time.monotonic() < deadline:
        _note_finished(staff, figures)
        time.sleep(0.2)
    time.sleep(3)  # the last ticks reach the worker


def _broker_backlog() -> int | None:
    """Messages waiting in the embedded broker (None for another broker)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("sqlite:///"):
        return None
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return int(db.execute("SELECT count(*) FROM kombu_message").fetchone()[0])


def _report(
    plan: SoakPlan,
    portal: RunningPortal,
    figures: SoakFigures,
    left_in_broker: int | None,
    exit_code: int,
    leftovers: list[int],
    say: Say,
) -> bool:
    uploads = Upload.objects.filter(pk__in=figures.posted)
    by_status = dict(uploads.values_list("status").annotate(n=Count("id")))
    completed = uploads.filter(status=UploadStatus.COMPLETED)
    rows = sum(u.total_records for u in completed)
    processed = sum(u.processed_records for u in completed)
    rejected = sum(u.rejected_records for u in completed)
    stored = CompletionRecord.objects.filter(upload__in=uploads)
    distinct = stored.values("credit_id").distinct().count()
    resumed = uploads.filter(attempts__gt=1).count()
    latencies = [figures.finished[i] - figures.posted[i] for i in figures.finished]
    log = portal.log()
    workers = portal.started("Celery worker")
    deaths = len(workers) - 1 - (1 if figures.restarted_worker else 0)
    checks = {
        "every upload completed": by_status.get(UploadStatus.COMPLETED, 0) == len(figures.posted),
        "records stored once": stored.count() == distinct == processed,
        "no upload refused": figures.refused == 0,
        "worker never died (only the soak's restart)": deaths == 0
        and "Unrecoverable error" not in log,
        "worker restarted by runportal": figures.restarted_worker is not None and len(workers) >= 2,
        "broker drained": left_in_broker in (0, None),
        "Ctrl-C left nothing behind": exit_code == 0 and not leftovers,
    }
    say("")
    say(f"Soak of {plan.seconds / 60:.1f} min on {settings.DATABASES['default']['ENGINE']}, "
        f"broker {settings.CELERY_BROKER_URL} ({settings.CELERY_BROKER_TRANSPORT or 'kombu'})")  # fmt: skip
    say(f"  uploads posted        {len(figures.posted)} (refused {figures.refused}, "
        f"skipped while the provider's last was running {figures.provider_busy})")  # fmt: skip
    say(f"  uploads by status     {dict(sorted(by_status.items()))}")
    say(f"  resumed after restart {resumed}")
    say(f"  rows                  {rows} ({processed} processed, {rejected} not processed)")
    say(f"  records stored        {stored.count()} ({distinct} distinct Credit IDs)")
    if latencies:
        q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
        say(f"  post → completed      p50 {statistics.median(latencies):.2f} s, "
            f"p95 {q[18]:.2f} s, max {max(latencies):.2f} s")  # fmt: skip
    say(f"  ticker tasks sent     {figures.ticks_sent} (send errors {figures.tick_send_errors})")
    say(f"  beat ticks sent       {log.count('Sending due task')}")
    say(f"  tasks run by workers  {log.count('] succeeded in ')}")
    say(f"  worker starts         {len(workers)} (unexpected deaths {deaths})")
    say(f"  broker backlog at end {left_in_broker}")
    say(f"  processes left        {leftovers} (runportal exit code {exit_code})")
    for name, ok in checks.items():
        say(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return all(checks.values())
