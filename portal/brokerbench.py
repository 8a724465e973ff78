"""Measure the broker transports a laptop run could use (`manage.py bench_broker`).

A Celery app of its own (none of the portal's tasks) with one probe task that notes when it
started; a real worker (`celery -A portal.brokerbench worker`) runs it. Per transport:
- publish and consume rates at kombu level (one producer, then one consumer);
- dispatch → task start latency through the worker, probes sent one at a time;
- tasks per second end to end, probes sent as fast as one producer can;
- concurrent writers: processes publish large messages while the worker consumes: does the
  worker survive, and does every probe run exactly once?
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Connection

from portal.brokerconf import EMBEDDED_TRANSPORT, embedded_broker_url

QUEUE = "bench"


def transport_config(kind: str, folder: Path, redis_url: str = "") -> dict[str, Any]:
    """Celery settings for a transport kept under `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "embedded":
        return {
            "broker_url": embedded_broker_url(folder),
            "broker_transport": EMBEDDED_TRANSPORT,
            "broker_transport_options": {"polling_interval": 0.1},
        }
    if kind == "filesystem":
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(exist_ok=True)
        return {
            "broker_url": "filesystem://",
            "broker_transport": None,
            "broker_transport_options": {
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "processed_folder": str(folder / "processed"),
                "store_processed": False,
                "polling_interval": 0.1,
            },
        }
    if kind == "redis":
        return {"broker_url": redis_url, "broker_transport": None, "broker_transport_options": {}}
    raise ValueError(f"Unknown transport {kind!r}")


def bench_app(kind: str, folder: Path, redis_url: str = "") -> Celery:
    # Not the current app: the portal's own tasks, sent from this process, keep the portal's broker.
    bench = Celery(f"brokerbench-{kind}", set_as_current=False)
    bench.conf.update(
        **transport_config(kind, folder, redis_url),
        task_default_queue=QUEUE,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
    )
    bench.task(name="bench.probe")(_probe)
    return bench


def _probe(token: str, sent_at: float, results: str, padding: str = "") -> None:
    """Note when this task started, beside when it was sent: one line per run."""
    started = time.time()
    with open(results, "a") as out:
        out.write(f"{token} {sent_at!r} {started!r}\n")


def _environment_app() -> Celery | None:
    """The app `celery -A portal.brokerbench worker` runs, chosen by BENCH_* variables."""
    if "BENCH_BROKER" not in os.environ:
        return None
    folder = Path(os.environ["BENCH_DIR"])
    return bench_app(os.environ["BENCH_BROKER"], folder, os.environ.get("BENCH_REDIS_URL", ""))


app = _environment_app()


def send_probes(
    bench: Celery, *, count: int, results: Path, padding: int = 0, prefix: str = "p"
) -> None:
    """Dispatch `count` probes as fast as one producer can."""
    filler = "x" * padding
    probe = bench.tasks["bench.probe"]
    with bench.producer_or_acquire() as producer:
        for n in range(count):
            probe.apply_async(
                (f"{prefix}{n}", time.time(), str(results), filler), producer=producer
            )


# A writer process of the concurrent-writers measure: argv kind, folder, count, results, padding.
WRITER = """
import sys
from pathlib import Path
from portal.brokerbench import bench_app, send_probes
kind, folder, count, results, padding, prefix = sys.argv[1:7]
bench = bench_app(kind, Path(folder), sys.argv[7] if len(sys.argv) > 7 else "")
send_probes(bench, count=int(count), results=Path(results), padding=int(padding), prefix=prefix)
"""


def start_writers(
    worker: BenchWorker, *, writers: int, count: int, results: Path, padding: int, cwd: Path
) -> list[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-c", WRITER, worker.kind, str(worker.folder), str(count)]
    return [
        subprocess.Popen([*argv, str(results), str(padding), f"w{n}-", worker.redis_url], cwd=cwd)
        for n in range(writers)
    ]


def kombu_rates(bench: Celery, *, count: int) -> tuple[float, float]:
    """Messages per second: one producer putting `count`, then one consumer taking them."""
    conf = bench.conf
    body = {"payload": "x" * 1000}
    with Connection(
        conf.broker_url,
        transport=conf.broker_transport,
        transport_options=conf.broker_transport_options,
    ) as connection:
        queue = connection.SimpleQueue("rates")
        started = time.perf_counter()
        for _ in range(count):
            queue.put(body)
        put_rate = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(count):
            queue.get(timeout=30).ack()
        get_rate = count / (time.perf_counter() - started)
        queue.close()
    return put_rate, get_rate


@dataclass
class BenchWorker:
    """`celery -A portal.brokerbench worker` (solo pool) for one transport."""

    kind: str
    folder: Path
    redis_url: str = ""
    process: subprocess.Popen[bytes] | None = None

    def start(self, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "REDIS_URL"}}
        env.update(BENCH_BROKER=self.kind, BENCH_DIR=str(self.folder))
        env["BENCH_REDIS_URL"] = self.redis_url
        log = (self.folder / "worker.log").open("ab")
        command = [
            sys.executable, "-m", "celery", "-A", "portal.brokerbench", "worker",
            "--pool", "solo", "--queues", QUEUE, "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def read_results(results: Path) -> list[tuple[str, float, float]]:
    """(token, sent, started) per probe run; a line cut short by a dying worker is skipped."""
    if not results.exists():
        return []
    runs = []
    for line in results.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            runs.append((parts[0], float(parts[1]), float(parts[2])))
    return runs


def wait_for_runs(results: Path, count: int, worker: BenchWorker, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read_results(results)) >= count:
            return True
        if not worker.alive():
            return False
        time.sleep(0.02)
    return False


def latencies(bench: Celery, worker: BenchWorker, *, samples: int) -> list[float]:
    """Seconds from dispatch to task start, one probe in flight at a time."""
    results = worker.folder / "latency.txt"
    for n in range(samples):
        send_probes(bench, count=1, results=results)
        if not wait_for_runs(results, n + 1, worker, timeout=30):
            break
        time.sleep(0.03)  # the worker is idle again, polling, when the next one is sent
    return [started - sent for _, sent, started in read_results(results)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no runs"
    ms = [v * 1000 for v in values]
    return (
        f"p50 {statistics.median(ms):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms  "
        f"max {max(ms):7.1f} ms  (n={len(ms)})"
    )


def duplicates(results: Path) -> int:
    counts = Counter(token for token, _, _ in read_results(results))
    return sum(n - 1 for n in counts.values() if n > 1)
