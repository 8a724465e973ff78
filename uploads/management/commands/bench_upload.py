"""Measure the batch upload: the upload request, and upload-to-completion with a real worker.

    manage.py bench_upload --rows 2500 [--file-type txt] [--error-rate 0.2] [--runs 7]

Uses this database and broker (as configured by the environment) and the sandbox provider
0001234 (run `manage.py seed_sandbox` first). Every upload it makes, with its records and files,
is removed again after it is measured, so the runs are alike and the database is left as found.
Refuses to start while the provider has an upload of its own queued or processing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learners.filegen import generate_learner_file
from learners.models import CompletionRecord
from portal.models import Membership, Provider
from uploads.models import FINAL_STATUSES, Upload

BENCH_PREFIX = "bench_upload_"
POST_TARGET_MS = 150
COMPLETE_TARGET_S = 2.0


class Command(BaseCommand):
    help = "Benchmark the upload request and upload-to-completion with a real Celery worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=2500)
        parser.add_argument("--file-type", choices=["txt", "xml", "xlsx"], default="txt")
        parser.add_argument("--error-rate", type=float, default=0.2)
        parser.add_argument("--runs", type=int, default=7, help="timed runs of each measure")
        parser.add_argument("--provider", default="0001234", help="ACCME Provider ID (sandbox)")
        parser.add_argument("--no-worker", action="store_true", help="only time the request")
        parser.add_argument("--timeout", type=float, default=120, help="seconds per worker run")

    def handle(self, *args: Any, **options: Any) -> None:
        provider, user = self._provider_and_user(options["provider"])
        file_type, rows = options["file_type"], options["rows"]
        data = generate_learner_file(
            provider=provider,
            rows=rows,
            error_rate=options["error_rate"],
            file_type=file_type,
            today=timezone.localdate(),
        )
        bench = _Bench(provider=provider, user=user, data=data, file_type=file_type)
        broker = settings.CELERY_BROKER_URL.split("@")[-1]
        self.stdout.write(
            f"bench_upload: {rows} rows ({file_type}, {len(data):,} bytes, error rate "
            f"{options['error_rate']:.2f}) for {provider.accme_id} on {connection.vendor}, "
            f"broker {broker}"
        )
        posts = [bench.post_only() for _ in range(max(options["runs"], 1) + 1)][1:]
        self._report("upload request (POST until the page answers)", posts, "ms", POST_TARGET_MS)
        if options["no_worker"]:
            return
        with _Worker(self.stdout) as worker:
            bench.until_complete(worker, options["timeout"])  # warm-up: imports, connections
            runs = [
                bench.until_complete(worker, options["timeout"]) for _ in range(options["runs"])
            ]
        self._report("upload to completion (real worker)", runs, "s", COMPLETE_TARGET_S)
        self.stdout.write(f"  each run: {bench.last_counts}")

    def _provider_and_user(self, accme_id: str) -> tuple[Provider, Any]:
        provider = Provider.objects.filter(accme_id=accme_id).first()
        if provider is None:
            raise CommandError(f"No provider {accme_id}: run `manage.py seed_sandbox` first.")
        busy = (
            Upload.objects.for_provider(provider)
            .active()
            .exclude(original_name__startswith=BENCH_PREFIX)
        )
        if busy.exists():
            raise CommandError(f"Provider {accme_id} has an upload in progress; try again later.")
        membership = Membership.objects.filter(provider=provider).select_related("user").first()
        if membership is None:
            user = get_user_model().objects.get_or_create(username=f"bench@{accme_id}.test")[0]
            membership = Membership.objects.create(user=user, provider=provider)
        return provider, membership.user

    def _report(self, label: str, values: list[float], unit: str, target: float) -> None:
        shown = [v * 1000 for v in values] if unit == "ms" else values
        median = statistics.median(shown)
        verdict = "meets" if median < target else "MISSES"
        self.stdout.write(
            f"  {label:<48} median {median:8.3f} {unit}  (min {min(shown):.3f}, "
            f"max {max(shown):.3f}, n={len(shown)})  {verdict} target < {target} {unit}"
        )


class _Bench:
    def __init__(self, *, provider: Provider, user: Any, data: bytes, file_type: str) -> None:
        self.provider, self.data, self.file_type = provider, data, file_type
        self.client = Client()
        self.client.force_login(user)
        self.count = 0
        self.last_counts = ""
        _remove_bench_uploads(provider)

    def _post(self) -> tuple[float, Upload]:
        self.count += 1
        # Vary the name and the bytes, so duplicate detection never asks the question.
        data = self.data if self.file_type != "txt" else self.data + b"\r\n" * self.count
        name = f"{BENCH_PREFIX}{self.count}.{self.file_type}"
        upload_file = SimpleUploadedFile(name, data)
        fields = {"file_type": self.file_type, "program": "board", "mode": "submit"}
        started = time.perf_counter()
        response = self.client.post(reverse("uploads:new"), {**fields, "file": upload_file})
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            raise CommandError(f"The upload was refused ({response.status_code}).")
        return elapsed, Upload.objects.for_provider(self.provider).get(original_name=name)

    def post_only(self) -> float:
        elapsed, upload = self._post()
        _remove(upload)
        return elapsed

    def until_complete(self, worker: _Worker, timeout: float) -> float:
        started = time.perf_counter()
        _, upload = self._post()
        while True:
            status = Upload.objects.filter(pk=upload.pk).values_list("status", flat=True).get()
            if status in FINAL_STATUSES:
                break
            if time.perf_counter() - started > timeout or not worker.alive():
                _remove(upload)
                raise CommandError(f"No result in {timeout}s:\n{worker.tail()}")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        upload.refresh_from_db()
        stored = CompletionRecord.objects.filter(upload=upload).count()
        _remove(upload)
        if status != "completed":
            raise CommandError(f"The upload ended {status}: {upload.error_message}")
        self.last_counts = (
            f"{upload.total_records} records: {upload.processed_records} processed "
            f"({stored} stored), {upload.rejected_records} not processed, "
            f"report {'written' if upload.report_file else 'none'}"
        )
        return elapsed


def _remove(upload: Upload) -> None:
    CompletionRecord.objects.filter(upload=upload).delete()
    for stored in (upload.file, upload.report_file, upload.report_csv_file):
        if stored:
            default_storage.delete(str(stored.name))
    upload.delete()


def _remove_bench_uploads(provider: Provider) -> None:
    for upload in Upload.objects.for_provider(provider).filter(
        original_name__startswith=BENCH_PREFIX
    ):
        _remove(upload)


class _Worker:
    """`celery -A portal worker` as a child process with this process's environment."""

    def __init__(self, stdout: Any) -> None:
        self.stdout = stdout
        self.log = Path(settings.VAR_DIR) / "bench_upload_worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Worker:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        command = [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
            "-Q", "celery", "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
