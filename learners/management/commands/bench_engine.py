"""Measure the learner engine on a sandbox file against other ways of loading the same rows.

    manage.py bench_engine --rows 2500 [--error-rate 0.2] [--file-type txt] [--repeat 3]

Every variant runs on this database inside a transaction that is rolled back, so the database is
left as it was found. On PostgreSQL foreign keys are checked as each row goes in (SET CONSTRAINTS
ALL IMMEDIATE), so the rollback doesn't spare any variant the checks a commit would run.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from activities.models import Activity
from learners.engine.rows import BOARD_COLUMNS, LearnerRow
from learners.engine.services import learner_rows_process
from learners.filegen import FileGenerationError, generate_learner_file
from learners.formats import read_learner_file
from learners.models import Board, CompletionRecord, RecordSource, RecordStatus
from learners.report import rejected_rows_txt
from portal.models import Provider

Variant = Callable[[], int]  # loads the file's rows, returns how many it stored


@dataclass
class Measure:
    name: str
    seconds: float
    stored: int
    peak_bytes: int | None = None

    def rate(self, rows: int) -> float:
        return rows / self.seconds if self.seconds else float("inf")


class _Rollback(Exception):
    """Raised to undo a variant's writes."""


def _run_and_undo(variant: Variant) -> tuple[float, int]:
    started = time.perf_counter()
    stored = 0
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            stored = variant()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, stored


def _peak_memory(variant: Variant) -> int:
    tracemalloc.start()
    try:
        _run_and_undo(variant)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _vacuum() -> None:
    """Clear the dead rows rolled-back runs leave (PostgreSQL; not possible inside a transaction)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    table = connection.ops.quote_name(CompletionRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


class Command(BaseCommand):
    help = "Benchmark the learner engine against django-import-export, a naive loop and COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=2500)
        parser.add_argument("--error-rate", type=float, default=0.2)
        parser.add_argument("--file-type", choices=["txt", "xml", "xlsx"], default="txt")
        parser.add_argument("--provider", default="0001234", help="ACCME Provider ID (sandbox)")
        parser.add_argument("--repeat", type=int, default=3, help="timed runs of the fast variants")
        parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(accme_id=options["provider"]).first()
        if provider is None:
            raise CommandError(
                f"No provider {options['provider']}: run `manage.py seed_sandbox` first."
            )
        today = timezone.localdate()
        rows, file_type = options["rows"], options["file_type"]
        if not 1 <= rows <= settings.UPLOAD_MAX_RECORDS:
            raise CommandError(
                f"--rows goes from 1 to {settings.UPLOAD_MAX_RECORDS} (a file's limit)."
            )
        try:
            data = generate_learner_file(
                provider=provider, rows=rows, error_rate=options["error_rate"],
                file_type=file_type, today=today,
            )  # fmt: skip
        except FileGenerationError as problem:
            raise CommandError(str(problem)) from None
        bench = _Bench(provider=provider, data=data, file_type=file_type, today=today)
        _vacuum()
        self.stdout.write(
            f"bench_engine: {rows} rows ({file_type}, error rate {options['error_rate']:.2f}) "
            f"for provider {provider.accme_id} on {connection.vendor}"
        )
        variants: list[tuple[str, Variant | None, int]] = [
            ("engine", bench.engine, options["repeat"]),
            ("django-import-export", bench.import_export(), 1),
            ("naive full_clean+save", bench.naive, 1),
            ("floor: read + COPY", bench.floor if connection.vendor == "postgresql" else None,
             options["repeat"]),
        ]  # fmt: skip
        measures = {}
        for name, variant, repeat in variants:
            if variant is None:
                self.stdout.write(f"  {name:<24} skipped ({bench.skip_reason(name)})")
                continue
            measure = self._measure(name, variant, max(repeat, 1), not options["no_memory"])
            measures[name] = measure
            self._print(measure, rows)
        _vacuum()  # the rolled-back runs leave dead rows behind; clear them as we found it
        self.stdout.write(_summary(measures, rows))

    def _measure(self, name: str, variant: Variant, repeat: int, memory: bool) -> Measure:
        runs = [_run_and_undo(variant) for _ in range(repeat)]
        seconds, stored = min(runs)
        return Measure(name, seconds, stored, _peak_memory(variant) if memory else None)

    def _print(self, measure: Measure, rows: int) -> None:
        peak = f"{measure.peak_bytes / 2**20:8.1f} MiB" if measure.peak_bytes is not None else ""
        self.stdout.write(
            f"  {measure.name:<24} {measure.seconds:8.3f} s {measure.rate(rows):>10,.0f} records/s"
            f"  stored {measure.stored:>5}  peak {peak}"
        )


def _summary(measures: dict[str, Measure], rows: int) -> str:
    engine = measures["engine"].rate(rows)
    other = measures.get("django-import-export")
    floor = measures.get("floor: read + COPY")
    vs_ie = f"{engine / other.rate(rows):.1f}x" if other else "n/a"
    vs_floor = f"{floor.rate(rows) / engine:.1f}x" if floor else "n/a"
    return f"engine_rows_per_s={engine:.0f} vs_import_export={vs_ie} vs_floor={vs_floor}"


@dataclass
class _Bench:
    provider: Provider
    data: bytes
    file_type: str
    today: date

    def read(self) -> list[LearnerRow]:
        return read_learner_file(self.data, file_type=self.file_type)

    def engine(self) -> int:
        """The real path: read, validate and match, store, write the rejected-rows report."""
        outcome = learner_rows_process(
            provider=self.provider, rows=self.read(), source=RecordSource.FILE, today=self.today,
            credit_id_prefix="BENCH-E-R",
        )  # fmt: skip
        rejected_rows_txt(outcome.results)
        return outcome.stored.added

    def naive(self) -> int:
        """One row at a time: look-ups, a model instance, full_clean() and save()."""
        stored = 0
        for row in self.read():
            try:
                record = _naive_record(self.provider, row)
                record.full_clean()
                record.save()
                stored += 1
            except (ObjectDoesNotExist, ValidationError, ValueError, InvalidOperation):
                continue
        return stored

    def floor(self) -> int:
        """No judgement at all: read the file and COPY its values into a temporary table."""
        rows = self.read()
        columns = ", ".join(f"{name} text" for name, _ in BOARD_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_floor ({columns}) ON COMMIT DROP")
            with cursor.cursor.copy("COPY bench_floor FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row.values())
        return len(rows)

    def import_export(self) -> Variant | None:
        return _import_export_variant(self.provider, self.read)

    def skip_reason(self, name: str) -> str:
        if name.startswith("floor"):
            return "COPY needs PostgreSQL"
        return "django-import-export is not installed (pip install -e '.[dev]')"


def _amount(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def _naive_record(provider: Provider, row: LearnerRow) -> CompletionRecord:
    board = Board.objects.get(code=row.board) if row.board else None
    return CompletionRecord(
        provider=provider,
        activity=Activity.objects.get(provider=provider, activity_id=row.activity_id),
        credit_id=f"BENCH-N-R{row.row_number}",
        completion_date=datetime.strptime(row.completion_date, "%m/%d/%Y").date(),
        ama_credits=_amount(row.cme_credits),
        licensing_state=row.licensing_state[:2],
        license_id=row.license_id,
        board=board,
        diplomate_id=row.board_id,
        moc_points=_amount(row.board_points),
        status=RecordStatus.SUBMITTED if board else RecordStatus.ACCEPTED,
        source=RecordSource.FILE,
    )


def _import_export_variant(
    provider: Provider, read: Callable[[], list[LearnerRow]]
) -> Variant | None:
    """django-import-export's default import of the same rows into CompletionRecord."""
    try:
        import tablib
        from import_export import fields, resources, widgets
    except ImportError:  # a dev extra: absent from production installs
        return None

    def field(column: str, attribute: str, widget: Any = None) -> Any:
        return fields.Field(attribute=attribute, column_name=column, widget=widget)

    class RecordResource(resources.ModelResource):
        credit_id = field("Credit ID", "credit_id")
        activity = field(
            "ACCME Activity ID", "activity", widgets.ForeignKeyWidget(Activity, "activity_id")
        )
        completion_date = field(
            "Completion Date", "completion_date", widgets.DateWidget("%m/%d/%Y")
        )
        ama_credits = field("Number of CME Credits", "ama_credits", widgets.DecimalWidget())
        licensing_state = field("Licensing State", "licensing_state")
        license_id = field("Licensing ID or NPI", "license_id")
        board = field("Certifying Board", "board", widgets.ForeignKeyWidget(Board, "code"))
        diplomate_id = field("Certifying Board ID", "diplomate_id")
        moc_points = field("Total Board Credits", "moc_points", widgets.DecimalWidget())

        class Meta:
            model = CompletionRecord
            fields = (
                "credit_id", "activity", "completion_date", "ama_credits", "licensing_state",
                "license_id", "board", "diplomate_id", "moc_points",
            )  # fmt: skip
            import_id_fields = ("credit_id",)

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.provider = provider
            instance.source = RecordSource.FILE
            instance.status = RecordStatus.SUBMITTED if instance.board_id else RecordStatus.ACCEPTED

    def run() -> int:
        headers = ["Credit ID", *(title for _, title in BOARD_COLUMNS)]
        dataset = tablib.Dataset(
            *([f"BENCH-IE-R{row.row_number}", *row.values()] for row in read()), headers=headers
        )
        result = RecordResource().import_data(dataset, dry_run=False, raise_errors=False)
        return int(result.totals.get("new", 0))

    return run
