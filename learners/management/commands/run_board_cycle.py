"""Run the board cycle now: what the nightly Celery beat job does."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from learners.lifecycle import board_cycle_run


class Command(BaseCommand):
    help = (
        "Send Submitted MOC records to their certifying board (Submitted → Transmitted), take the "
        "simulated boards' answers (Approved or Rejected) and email rejections. Safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="The run's date, YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = self._today(options["today"])
        summary = board_cycle_run(today=today)
        self.stdout.write(
            f"Board cycle {today:%m/%d/%Y}: {summary.transmitted} transmitted, "
            f"{summary.approved} approved, {summary.rejected} rejected, "
            f"{summary.emails} rejection email{'s' if summary.emails != 1 else ''} sent."
        )

    def _today(self, value: str | None) -> date:
        if not value:
            return timezone.localdate()
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from exc
