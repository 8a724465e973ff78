"""Soak `make run`'s stack: uploads every few seconds, beat ticking, a worker restart midway.

    manage.py soak [--minutes 30] [--upload-every 3] [--rows 10]

Uses the configured database and broker (`make soak` runs it on the embedded default in a fresh
`var/soak/`), migrates and seeds the sandbox, then drives a real `runportal` over HTTP.
Prints its figures; exits non-zero when a check fails.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.soak import SoakPlan, soak_run


class Command(BaseCommand):
    help = "Run the portal under a steady upload load for a while and check nothing was lost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
        parser.add_argument("--upload-every", type=float, default=3.0, help="seconds")
        parser.add_argument("--rows", type=int, default=10, help="rows per uploaded file")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_sandbox", stdout=self.stdout)
        plan = SoakPlan(
            seconds=options["minutes"] * 60,
            upload_every=options["upload_every"],
            rows=options["rows"],
        )
        if not soak_run(plan, self._say):
            raise CommandError("The soak failed: see the checks above.")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
