"""Time a batch of activities through the reader and the batch service (prints figures)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from activities.batch import activity_rows_process
from activities.files import activity_template_xlsx, read_activity_file
from activities.inputs import ActivityInput, MocInput
from activities.models import Activity
from activities.xml_writer import activities_xml
from portal.models import Provider

BENCH_PROVIDER = "0009998"


def bench_items(rows: int, year: int) -> list[ActivityInput]:
    """Complete live courses registered with ABIM; every tenth lacks its title (203)."""
    return [
        ActivityInput(
            action="Add",
            provider_activity_id=f"BENCH-{n:05d}",
            title="" if n % 10 == 0 else f"Benchmark course {n}",
            format_name="Live Course",
            start_date=f"{year}-01-15",
            end_date=f"{year}-12-15",
            ama_credits="4",
            providership="direct",
            description="Benchmark activity.",
            city="Chicago",
            state="IL",
            country="USA",
            commercial_support="no",
            moc=(MocInput("ABIM", "4", ("Medical Knowledge",)),),
        )
        for n in range(1, rows + 1)
    ]


class Command(BaseCommand):
    help = "Time reading and storing a batch of activities (XML and .xlsx); prints figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=2500)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = options["rows"]
        if not 1 <= rows <= 2500:
            raise CommandError("--rows must be between 1 and 2500 (the limit per file).")
        today = timezone.localdate()
        provider, _ = Provider.objects.get_or_create(
            accme_id=BENCH_PROVIDER, defaults={"name": "Activity benchmark"}
        )
        items = bench_items(rows, today.year)
        files = {
            "xml": activities_xml(items).encode("utf-8"),
            "xlsx": activity_template_xlsx(items),
        }
        for file_type, data in files.items():
            Activity.objects.filter(provider=provider).delete()
            started = time.perf_counter()
            found = read_activity_file(data, file_type=file_type)
            read = time.perf_counter() - started
            started = time.perf_counter()
            added = activity_rows_process(provider=provider, items=found.items, today=today)
            stored = time.perf_counter() - started
            started = time.perf_counter()
            updates = [dataclasses.replace(i, title=i.title + " (v2)") for i in found.items]
            updated = activity_rows_process(provider=provider, items=updates, today=today)
            again = time.perf_counter() - started
            self.stdout.write(
                f"{file_type}: {rows} activities, {len(data):,} bytes: read {read:.2f} s; "
                f"added {added.accepted} (rejected {added.rejected}) in {stored:.2f} s "
                f"({stored / rows * 1000:.1f} ms each); the same ids again (updates) in {again:.2f} s "
                f"({updated.accepted} accepted)"
            )
        Activity.objects.filter(provider=provider).delete()
