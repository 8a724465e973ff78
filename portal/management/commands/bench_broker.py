"""Compare broker transports for a laptop run: rates, dispatch latency, concurrent writers.

    manage.py bench_broker [--transports embedded,filesystem,redis] [--tasks 500] ...

Each transport gets a fresh folder under var/bench-broker/ (Redis: the configured URL, or
--redis-url) and a real worker of a bench-only Celery app (portal/brokerbench.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.brokerbench import (
    BenchWorker,
    bench_app,
    duplicates,
    kombu_rates,
    latencies,
    read_results,
    send_probes,
    start_writers,
    summary,
    wait_for_runs,
)


class Command(BaseCommand):
    help = "Measure the embedded (SQLite), filesystem and Redis transports side by side."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--transports", default="embedded,filesystem,redis")
        parser.add_argument("--messages", type=int, default=2000, help="kombu-level rates")
        parser.add_argument("--tasks", type=int, default=500, help="end-to-end throughput")
        parser.add_argument("--latency-samples", type=int, default=200)
        parser.add_argument("--writers", type=int, default=3, help="concurrent writer processes")
        parser.add_argument("--writer-tasks", type=int, default=300, help="per writer")
        parser.add_argument("--padding", type=int, default=100_000, help="bytes per writer task")
        parser.add_argument("--redis-url", default="", help="default: the configured broker")

    def handle(self, *args: Any, **options: Any) -> None:
        redis_url = options["redis_url"] or _configured_redis()
        # Celery prefers this variable to an app's own broker_url: each bench app names its own.
        os.environ.pop("CELERY_BROKER_URL", None)
        for kind in options["transports"].split(","):
            if kind == "redis" and not redis_url:
                self.stdout.write("redis: skipped (no Redis configured; pass --redis-url)")
                continue
            self._bench(kind.strip(), redis_url, options)

    def _bench(self, kind: str, redis_url: str, options: dict[str, Any]) -> None:
        folder = Path(settings.VAR_DIR) / "bench-broker" / kind
        shutil.rmtree(folder, ignore_errors=True)
        bench = bench_app(kind, folder, redis_url)
        if kind == "redis":
            redis.Redis.from_url(redis_url).delete("bench", "rates")
        put_rate, get_rate = kombu_rates(bench, count=options["messages"])
        self.stdout.write(f"{kind}: {bench.conf.broker_url}")
        self.stdout.write(f"  kombu put          {put_rate:9.0f} msg/s (1 KB, one producer)")
        self.stdout.write(f"  kombu get+ack      {get_rate:9.0f} msg/s (one consumer)")
        worker = BenchWorker(kind, folder, redis_url)
        worker.start(settings.BASE_DIR)
        try:
            if not wait_for_runs(_warm_up(bench, folder), 1, worker, timeout=60):
                raise CommandError(f"{kind}: the bench worker did not start ({folder}/worker.log)")
            lat = latencies(bench, worker, samples=options["latency_samples"])
            self.stdout.write(f"  dispatch → start   {summary(lat)}")
            self._throughput(bench, worker, folder, options["tasks"])
            self._writers(worker, folder, options)
        finally:
            worker.stop()

    def _throughput(self, bench: Any, worker: BenchWorker, folder: Path, count: int) -> None:
        results = folder / "throughput.txt"
        started = time.perf_counter()
        send_probes(bench, count=count, results=results)
        sent = time.perf_counter() - started
        done = wait_for_runs(results, count, worker, timeout=300)
        elapsed = time.perf_counter() - started
        runs = len(read_results(results))
        self.stdout.write(
            f"  end to end         {runs / elapsed:9.0f} tasks/s ({runs}/{count} run in "
            f"{elapsed:.1f} s; sending took {sent:.1f} s){'' if done else '  INCOMPLETE'}"
        )

    def _writers(self, worker: BenchWorker, folder: Path, options: dict[str, Any]) -> None:
        results = folder / "writers.txt"
        expected = options["writers"] * options["writer_tasks"]
        started = time.perf_counter()
        writers = start_writers(
            worker,
            writers=options["writers"],
            count=options["writer_tasks"],
            results=results,
            padding=options["padding"],
            cwd=settings.BASE_DIR,
        )
        finished = wait_for_runs(results, expected, worker, timeout=300)
        for writer in writers:
            writer.wait(timeout=120)
        elapsed = time.perf_counter() - started
        runs = read_results(results)
        alive = worker.alive()
        self.stdout.write(
            f"  {options['writers']} writers x {options['writer_tasks']} tasks of "
            f"{options['padding'] // 1000} KB: {len(runs)}/{expected} run in {elapsed:.1f} s, "
            f"{duplicates(results)} twice, worker {'alive' if alive else 'DIED'}"
            f"{'' if finished else '  INCOMPLETE'}"
        )
        if not alive:
            tail = (folder / "worker.log").read_text(errors="replace").splitlines()[-3:]
            self.stdout.write("    worker's last words: " + " | ".join(tail))


def _warm_up(bench: Any, folder: Path) -> Path:
    results = folder / "warm-up.txt"
    send_probes(bench, count=1, results=results)
    return results


def _configured_redis() -> str:
    url = str(settings.CELERY_BROKER_URL)
    return url if url.startswith(("redis://", "rediss://")) else ""
