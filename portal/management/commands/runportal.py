"""Run the portal for a laptop: a Celery worker (with beat) in a child process, and the web server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from learners.sandbox import DEMO_PASSWORD, PROVIDERS


class Command(BaseCommand):
    help = "Start a Celery worker (with beat) and the development web server together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        worker = self._start_worker()
        self.stdout.write(self.style.SUCCESS(f"PARS Portal: http://{addrport}/"))
        demo = PROVIDERS[0]
        self.stdout.write(f"Log in as {demo.staff_email} / {DEMO_PASSWORD}  (admin: /admin/)")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    def _start_worker(self) -> subprocess.Popen[bytes]:
        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        command = [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--beat",
            "--schedule", schedule, "--loglevel", "INFO", "--concurrency", "2",
        ]  # fmt: skip
        self.stdout.write("Starting the Celery worker: " + " ".join(command[1:]))
        return subprocess.Popen(command, env=os.environ.copy())
