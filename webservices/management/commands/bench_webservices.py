"""Load-test SaveLearnerActivity through a real gunicorn on the loopback interface.

Seeds a benchmark provider (0009999) with one CME activity and a web-service account, builds one
valid, distinct learner completion per request from the sandbox directory, starts gunicorn with
the current settings, fires the requests from concurrent keep-alive clients and prints requests/s
and latency percentiles. It stops gunicorn itself and clears the benchmark provider's records.

By default it measures with the request log on and off in the same run (`--log both`): rounds
alternate between a server with WEBSERVICE_REQUEST_LOG=true and one with false, so a neighbour's
load falls on both alike, and it prints the log's cost.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from activities.models import Activity
from learners.models import ActivityFormat, CompletionRecord, LearnerLicense
from learners.sandbox import seed_sandbox
from portal.models import AuthThrottle, Provider, WebServiceAccount
from webservices.envelopes import LEARNER_NS
from webservices.models import WebServiceCall

PATH = "/services/ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity"
BENCH_PROVIDER = "0009999"
BENCH_USER = "bench@pars.local"
HOST = "127.0.0.1"
MAX_REQUESTS = 20_000
MAX_CLIENTS = 64

REPORT = """<accme:ACCMELearnerReports xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/" \
xmlns:ex="http://docs.accme.org/schemas/ACCMELearnerReportExtension/v3/" \
xmlns:ar="http://ns.medbiq.org/activityreport/v2/" xmlns:m="http://ns.medbiq.org/member/v2/" \
xmlns:n="http://ns.medbiq.org/name/v2/" xmlns:hx="http://ns.medbiq.org/lom/extend/v1/">
<ar:ActivityReports><ar:ActivityReport>
<ar:Member><m:UniqueID domain="{state}">{license_id}</m:UniqueID>
<m:Name><n:GivenName>{first}</n:GivenName><n:FamilyName>{last}</n:FamilyName></m:Name>
<m:PersonalInfo><m:BirthDate>{birth}</m:BirthDate></m:PersonalInfo></ar:Member>
<ar:Activity><ar:ActivityName>{activity_id}</ar:ActivityName><ar:Module>
<ar:ModuleName moduleID="{activity_id}">Benchmark activity</ar:ModuleName>
<ar:Status>Completed</ar:Status><ar:CompletedDateTime>{completed}</ar:CompletedDateTime>
<ar:CreditCertificate><ar:CreditReceived>
<hx:activityCertification>AMA PRA Category 1</hx:activityCertification>
<hx:creditUnit>Point</hx:creditUnit><hx:numberOfCredits>1</hx:numberOfCredits>
</ar:CreditReceived><ar:CreditID>{credit_id}</ar:CreditID></ar:CreditCertificate>
</ar:Module></ar:Activity>
<ar:XtensibleInfo><ex:learnerRecordAction>add</ex:learnerRecordAction></ar:XtensibleInfo>
</ar:ActivityReport></ar:ActivityReports></accme:ACCMELearnerReports>"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    first_problem: str = ""
    elapsed: float = 0.0  # seconds the measured requests took, over every round
    cpu: float = 0.0  # gunicorn's CPU seconds meanwhile
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


LOG_MODES = {"both": ("off", "on"), "on": ("on",), "off": ("off",)}


class Command(BaseCommand):
    help = "Benchmark SaveLearnerActivity through gunicorn on 127.0.0.1 (requests/s, p50/p95)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--requests", type=int, default=2000)
        parser.add_argument("--workers", type=int, default=min(4, max(2, os.cpu_count() or 2)))
        parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
        parser.add_argument(
            "--timeout", type=float, default=180.0, help="seconds for the whole run"
        )
        parser.add_argument("--keep", action="store_true", help="keep the benchmark's records")
        parser.add_argument(
            "--log",
            choices=tuple(LOG_MODES),
            default="both",
            help="measure with the request log on, off, or both in one run (the default)",
        )
        parser.add_argument(
            "--rounds", type=int, default=2, help="alternating rounds per log setting (1..10)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients, requests = options["clients"], options["requests"]
        if not 1 <= clients <= MAX_CLIENTS or not 1 <= requests <= MAX_REQUESTS:
            raise CommandError(f"--clients 1..{MAX_CLIENTS}, --requests 1..{MAX_REQUESTS}.")
        if not 2 <= options["workers"] <= 8 or not 1 <= options["threads"] <= 16:
            raise CommandError("--workers 2..8 and --threads 1..16.")
        if not 1 <= options["rounds"] <= 10:
            raise CommandError("--rounds 1..10.")
        modes = LOG_MODES[options["log"]]
        rounds = options["rounds"]
        per_round = max(1, requests // rounds)
        password = secrets.token_urlsafe(16)
        # At least one warm-up call per client: each connection is warmed before it is measured.
        warmup = max(options["workers"] * options["threads"] * 2, clients)
        bodies = iter(self._prepare(password, (warmup + per_round) * rounds * len(modes)))
        connection.close()  # gunicorn's workers open their own
        tallies = {mode: Tally() for mode in modes}
        deadline = time.monotonic() + options["timeout"]
        for number in range(rounds):
            # Alternate which setting goes first, so a drift in the machine's load evens out.
            for mode in modes if number % 2 == 0 else tuple(reversed(modes)):
                run = [next(bodies) for _ in range(warmup + per_round)]
                self._run(run[:warmup], run[warmup:], tallies[mode], mode, deadline, options)
        for mode in modes:
            self._report(tallies[mode], mode, options)
        if len(modes) == 2:
            self._report_cost(tallies["off"], tallies["on"])
        if not options["keep"]:
            CompletionRecord.objects.filter(provider__accme_id=BENCH_PROVIDER).delete()
            WebServiceCall.objects.filter(provider__accme_id=BENCH_PROVIDER).delete()

    def _run(
        self,
        warmup: list[bytes],
        bodies: list[bytes],
        tally: Tally,
        mode: str,
        deadline: float,
        options: dict[str, Any],
    ) -> None:
        """One gunicorn with the request log `mode` ("on"/"off"), warmed, then measured."""
        port = _free_port()
        server = self._start_gunicorn(port, options["workers"], options["threads"], log=mode)
        try:
            _wait_ready(port, server, timeout=30)
            elapsed, cpu = _fire(
                port, warmup, bodies, options["clients"], deadline, tally, server.pid
            )
        finally:
            _stop(server)
        tally.elapsed += elapsed
        tally.cpu += cpu

    # -- set-up --------------------------------------------------------------------------------

    def _prepare(self, password: str, count: int) -> list[bytes]:
        """The benchmark provider, activity and account, and one distinct valid body per request."""
        today = timezone.localdate()
        seed_sandbox(today=today)
        provider, _ = Provider.objects.update_or_create(
            accme_id=BENCH_PROVIDER,
            defaults={"name": "Web-service benchmark", "primary_contact_email": BENCH_USER},
        )
        CompletionRecord.objects.filter(provider=provider).delete()
        start = today - timedelta(days=120)
        activity, _ = Activity.objects.update_or_create(
            provider=provider,
            provider_activity_id="BENCH-CME",
            defaults={
                "title": "Benchmark CME activity",
                "format": ActivityFormat.objects.get(code="IEM"),
                "start_date": start,
                "end_date": today + timedelta(days=30),
                "credit_claim_date": today + timedelta(days=120),
                "ama_credits": Decimal("10"),
            },
        )
        account, _ = WebServiceAccount.objects.get_or_create(
            username=BENCH_USER, defaults={"provider": provider}
        )
        account.provider, account.is_active = provider, True
        account.set_password(password)
        account.save()
        AuthThrottle.objects.filter(key__in=[f"user:{BENCH_USER}", f"ip:{HOST}"]).delete()
        return _bodies(activity.activity_id, start, today, password, count)

    def _start_gunicorn(
        self, port: int, workers: int, threads: int, *, log: str
    ) -> subprocess.Popen[bytes]:
        env = os.environ.copy()
        env["WEBSERVICE_REQUEST_LOG"] = "true" if log == "on" else "false"
        # Persistent connections: a new PostgreSQL connection per request costs more than the work.
        env.setdefault("DB_CONN_MAX_AGE", "60")
        # As in production: DEBUG off (no query log kept per request). The loopback is plain
        # HTTP, so no redirect to HTTPS; a throwaway key unless one is set.
        env.setdefault("DEBUG", "false")
        env.setdefault("SECURE_SSL_REDIRECT", "false")
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        command = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"{HOST}:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--log-level", "warning", "--keep-alive", "5",
        ]  # fmt: skip
        self.stdout.write(
            f"gunicorn: {workers} workers x {threads} threads on {HOST}:{port}, request log {log}"
        )
        return subprocess.Popen(command, env=env, start_new_session=True)

    def _report(self, tally: Tally, mode: str, options: dict[str, Any]) -> None:
        done, elapsed, cpu = len(tally.latencies), tally.elapsed, tally.cpu
        if not done:
            raise CommandError(f"No request completed. {tally.first_problem}")
        ordered = sorted(tally.latencies)
        p50 = statistics.median(ordered) * 1000
        self.stdout.write(
            f"SaveLearnerActivity, request log {mode}: {done} requests from "
            f"{options['clients']} clients in {elapsed:.2f} s\n"
            f"  throughput  {tally.rate():.0f} requests/s\n"
            f"  latency     p50 {p50:.1f} ms   p95 {tally.percentile(0.95):.1f} ms   "
            f"p99 {tally.percentile(0.99):.1f} ms   max {ordered[-1] * 1000:.1f} ms\n"
            f"  answers     {tally.accepted} Accepted, {tally.rejected} Rejected, "
            f"{tally.failed} failed"
        )
        if cpu > 0:
            # On a shared machine the wall-clock figures move with the neighbours' load; the
            # server's own CPU time per request does not.
            self.stdout.write(
                f"  gunicorn    {cpu / done * 1000:.1f} ms CPU per request "
                f"(≈ {done / cpu:.0f} requests/s per core, PostgreSQL not included)"
            )
        if tally.first_problem:
            self.stdout.write(self.style.WARNING(f"  first problem: {tally.first_problem}"))

    def _report_cost(self, off: Tally, on: Tally) -> None:
        """What the request log costs SaveLearnerActivity (the budget: 10% of requests/s)."""
        change = (on.rate() / off.rate() - 1) * 100 if off.rate() else 0.0
        line = (
            f"Request log on vs off: throughput {off.rate():.0f} → {on.rate():.0f} requests/s "
            f"({change:+.1f}%), p95 {off.percentile(0.95):.1f} → {on.percentile(0.95):.1f} ms"
        )
        if off.cpu and on.cpu:
            per_off = off.cpu / len(off.latencies) * 1000
            per_on = on.cpu / len(on.latencies) * 1000
            line += f", gunicorn CPU {per_off:.2f} → {per_on:.2f} ms per request"
        self.stdout.write(line + " (budget: at most 10% fewer requests/s)")


def _bodies(activity_id: str, start: date, today: date, password: str, count: int) -> list[bytes]:
    # One licence per physician: the (state, licence id) that identifies them with name and birthday.
    first_licence: dict[int, LearnerLicense] = {}
    for licence in LearnerLicense.objects.select_related("learner").order_by("learner_id", "state"):
        first_licence.setdefault(licence.learner_id, licence)
    people = list(first_licence.values())
    if not people:
        raise CommandError("The directory is empty: run `manage.py seed_sandbox` first.")
    span = max(1, (today - start).days)
    run = secrets.token_hex(4)
    bodies = []
    for n in range(count):
        licence = people[n % len(people)]
        learner = licence.learner
        completed = start + timedelta(days=(n // len(people)) % span)
        data = REPORT.format(
            state=licence.state,
            license_id=escape(licence.license_id),
            first=escape(learner.first_name),
            last=escape(learner.last_name),
            birth=f"{learner.birth_year or 1970}-{learner.birth_month:02d}-{learner.birth_day:02d}",
            activity_id=activity_id,
            completed=completed.isoformat(),
            credit_id=f"bench:{run}:{n}",
        )
        bodies.append(_envelope(data, password))
    return bodies


def _envelope(data: str, password: str) -> bytes:
    return (
        f'<SubmitMessage xmlns="{LEARNER_NS}"><Data>{escape(data)}</Data>'
        f"<Password>{escape(password)}</Password><ProviderId>{BENCH_PROVIDER}</ProviderId>"
        f"<User>{BENCH_USER}</User></SubmitMessage>"
    ).encode()


# -- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, server: subprocess.Popen[bytes], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"gunicorn exited with code {server.returncode}.")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"gunicorn did not listen on {HOST}:{port} within {timeout:.0f} s.")


def _server_cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's master and workers so far (0 where /proc is missing)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == master or int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


# -- the clients -------------------------------------------------------------------------------


def _fire(
    port: int,
    warmup: list[bytes],
    bodies: list[bytes],
    clients: int,
    deadline: float,
    tally: Tally,
    server: int,
) -> tuple[float, float]:
    """Send every body from `clients` threads, each on one keep-alive connection.

    Each connection first sends its share of `warmup`, so the worker that serves it has checked
    the password (a deliberately slow hash, once per process) before the clock starts. Returns
    the seconds the measured bodies took and the server's CPU seconds meanwhile.
    """
    ready = threading.Barrier(clients + 1, timeout=max(1.0, deadline - time.monotonic()))
    threads = [
        threading.Thread(
            target=_client,
            args=(port, warmup[i::clients], bodies[i::clients], deadline, tally, ready),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    # A client that gave up warming up breaks the barrier; the others are measured all the same.
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    cpu_before = _server_cpu_seconds(server)
    started = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    return time.perf_counter() - started, _server_cpu_seconds(server) - cpu_before


def _client(
    port: int,
    warmup: list[bytes],
    bodies: list[bytes],
    deadline: float,
    tally: Tally,
    ready: threading.Barrier,
) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn = _send(conn, port, warmup, deadline, Tally())
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait()
        conn = _send(conn, port, bodies, deadline, tally)
    finally:
        conn.close()


def _send(
    conn: http.client.HTTPConnection,
    port: int,
    bodies: list[bytes],
    deadline: float,
    tally: Tally,
) -> http.client.HTTPConnection:
    """POST each body in turn on `conn` (reopened after a failure); returns the connection."""
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    for body in bodies:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            conn.request("POST", PATH, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            _count(tally, None, f"{type(exc).__name__}: {exc}")
            continue
        took = time.perf_counter() - started
        if response.status != 200:
            _count(tally, None, f"HTTP {response.status}: {answer[:300]!r}")
        elif b"<StatusCode>Accepted</StatusCode>" in answer:
            _count(tally, took, "")
        else:
            _count(tally, took, f"Rejected: {answer[-400:]!r}", rejected=True)
    return conn


def _count(tally: Tally, took: float | None, problem: str, *, rejected: bool = False) -> None:
    with tally.lock:
        if took is None:
            tally.failed += 1
        else:
            tally.latencies.append(took)
            if rejected:
                tally.rejected += 1
            else:
                tally.accepted += 1
        if problem and not tally.first_problem:
            tally.first_problem = problem
