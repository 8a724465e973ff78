"""Prove the portal at production size: load it with COPY, then time the real views and services.

    manage.py bench_scale [--scale 1.0] [--keep] [--repeats 25] [--explain]
                          [--deadline [--deadline-providers 200] [--deadline-rows 2500]]

Loads 2,000 providers, 40,000 activities, 500,000 physicians and 5,000,000 completion records
(times `--scale`) into the configured PostgreSQL database after `migrate`, replacing what those
tables held; `--keep` reuses a finished load of the same scale. The last line of the output is
`name=value` pairs for scripts.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from portal.models import Provider
from sandbox.bench import deadline, engine, loader, pages, report
from sandbox.bench.rows import Sizes, accme_id
from sandbox.bench.timing import Timing, explain


class Command(BaseCommand):
    help = "Load a production-size database and measure pages, web services, engine, board cycle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="multiplies every size")
        parser.add_argument("--keep", action="store_true", help="reuse a load of this scale")
        parser.add_argument(
            "--replace", action="store_true", help="empty a database bench_scale did not load"
        )
        parser.add_argument("--repeats", type=int, default=25, help="timed requests per measure")
        parser.add_argument("--engine-rows", type=int, default=2500)
        parser.add_argument("--explain", action="store_true", help="plans of slow measures")
        parser.add_argument("--deadline", action="store_true", help="the reporting-deadline rush")
        parser.add_argument("--deadline-providers", type=int, default=200)
        parser.add_argument("--deadline-rows", type=int, default=2500)
        parser.add_argument("--deadline-timeout", type=float, default=1800, help="seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_scale loads with COPY: point DATABASE_URL at PostgreSQL.")
        if not 0 < options["scale"] <= 1 or options["repeats"] < 1:
            raise CommandError("--scale goes from above 0 to 1; --repeats is at least 1.")
        if options["deadline"] and not settings.CELERY_BROKER_URL.startswith(("redis", "amqp")):
            # The bench waits for its workers by pinging them, a broadcast the embedded
            # broker doesn't carry.
            raise CommandError(
                "--deadline starts real Celery workers and needs the broker production uses: "
                "set CELERY_BROKER_URL=redis://…"
            )
        call_command("migrate", verbosity=0)
        try:
            load = loader.load(
                scale=options["scale"], keep=options["keep"], replace=options["replace"],
                say=self._say,
            )  # fmt: skip
        except loader.ForeignDataError:
            raise CommandError(
                "This database holds providers that bench_scale did not load, and a load empties "
                "every table it fills. Point DATABASE_URL at a database of its own, or pass "
                "--replace to empty this one."
            ) from None
        big = Provider.objects.get(accme_id=accme_id(0))
        today, repeats = timezone.localdate(), options["repeats"]
        sample = pages.sample(big)
        self._say(report.database_line(_server_settings(), settings.BOARD_CYCLE_WORKERS))
        self._say(f"measuring on provider {big.accme_id} ({repeats} timed requests each):")
        timings: list[Timing] = []
        for timing in itertools.chain(
            pages.measure_pages(sample, repeats=repeats),
            pages.measure_ws(sample, repeats=repeats),
            pages.measure_exports(sample, repeats=max(3, repeats // 3)),
        ):
            self._say(report.timing_line(timing))
            timings.append(timing)
        engine_figures = engine.measure_engine(
            provider=big, rows=options["engine_rows"], sizes=load.sizes,
            ref=loader.reference(), today=today, repeats=5,
        )  # fmt: skip
        for line in report.engine_lines(engine_figures):
            self._say(line)
        cycle = engine.measure_board_cycle(today=today)
        self._say(report.cycle_line(cycle))
        engine.vacuum_records()  # the answers put back leave old row versions behind
        extra = {"load_s": f"{load.seconds:.0f}" if not load.reused else "reused"}
        if options["deadline"]:
            extra.update(self._deadline(load.sizes, today, options))
        engine.vacuum_records()
        if options["explain"]:
            self._explain(timings)
        records = self._records()
        self.stdout.write(
            report.final_line(
                records=records, timings=timings, engine=engine_figures, cycle=cycle, extra=extra
            )
        )

    def _deadline(self, sizes: Sizes, today: date, options: dict[str, Any]) -> dict[str, str]:
        providers = min(options["deadline_providers"], sizes.providers - 1)
        self._say(
            f"deadline: {providers} providers upload {options['deadline_rows']} rows each at once"
        )
        figures = deadline.deadline_run(
            providers=providers, rows=options["deadline_rows"], sizes=sizes,
            ref=loader.reference(), today=today, timeout=options["deadline_timeout"],
        )  # fmt: skip
        self._say(
            f"  all {figures.uploads} uploads ({figures.rows:,} rows) processed in "
            f"{figures.drain_s:.1f} s: wait p50 {figures.wait_p50_s:.1f} s, p95 "
            f"{figures.wait_p95_s:.1f} s; {figures.stored:,} stored, {figures.rejected:,} "
            f"rejected, {figures.records_per_s:,.0f} records/s; lost {figures.lost}, "
            f"doubled {figures.doubled}"
        )
        return {
            "deadline_drain_s": f"{figures.drain_s:.1f}",
            "deadline_wait_p95_s": f"{figures.wait_p95_s:.1f}",
            "deadline_records_per_s": f"{figures.records_per_s:.0f}",
            "lost": str(figures.lost),
            "doubled": str(figures.doubled),
        }

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _explain(self, timings: list[Timing]) -> None:
        for timing in timings:
            if report.over_target(timing) and timing.slowest is not None:
                self._say(f"EXPLAIN of {timing.name}'s slowest query ({timing.slowest.ms:.1f} ms):")
                self._say(f"  {timing.slowest.sql}")
                self._say(explain(timing.slowest))

    def _records(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM learners_completionrecord")
            return int(cursor.fetchone()[0])  # type: ignore[index]


# What the figures depend on beyond the machine: PostgreSQL's cache, and the WAL the board
# cycle writes (how much between checkpoints, and whether whole pages in it are compressed).
SERVER_SETTINGS = ("server_version", "shared_buffers", "max_wal_size", "wal_compression")


def _server_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name",
            [list(SERVER_SETTINGS)],
        )
        return dict(cursor.fetchall())
