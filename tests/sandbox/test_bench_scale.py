"""bench_scale at a tiny scale: the load is what it says, and its closing line has every figure."""

from __future__ import annotations

import dataclasses
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Exists, OuterRef

from emails.models import Email
from learners.models import CompletionRecord, LearnerBoardId, RecordCreditId, RecordStatus
from portal.models import Provider
from sandbox.bench import engine, report
from sandbox.bench.rows import Sizes
from tests.factories import ProviderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="bench_scale loads with COPY"),
]

SCALE = 0.0005
KEYS = {
    "records", "page_p95_ms_max", "ws_p95_ms_max", "export_first_byte_ms_max",
    "engine_rows_per_s", "engine_vs_empty", "board_cycle_rows_per_s",
}  # fmt: skip


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command(
        "bench_scale", "--scale", str(SCALE), "--repeats", "2", "--engine-rows", "200", *args,
        stdout=out,
    )  # fmt: skip
    return out.getvalue().strip().splitlines()


def pairs(line: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in line.split())


def test_it_loads_the_scaled_database_and_ends_with_every_figure() -> None:
    lines = run()
    figures = pairs(lines[-1])
    assert figures.keys() >= KEYS
    assert int(figures["records"]) == CompletionRecord.objects.count() == Sizes.at(SCALE).records
    database = next(line for line in lines if line.startswith("database: "))
    for name in ("server_version=", "shared_buffers=", "max_wal_size=", "wal_compression="):
        assert name in database
    assert "BOARD_CYCLE_WORKERS=" in database


def test_the_loaded_records_keep_the_products_invariants() -> None:
    run()
    records = CompletionRecord.objects.all()
    assert not records.filter(credit_ids__isnull=True).exists()
    assert RecordCreditId.objects.count() == records.count()
    assert set(records.values_list("status", flat=True)) <= set(RecordStatus.values)
    assert records.filter(status=RecordStatus.SUBMITTED).exists()
    held = LearnerBoardId.objects.filter(
        board=OuterRef("board"), diplomate_id=OuterRef("diplomate_id")
    )
    assert not records.exclude(board=None).filter(~Exists(held)).exists()


def test_keep_reuses_a_load_of_the_same_scale() -> None:
    run()
    lines = run("--keep")
    assert any("reusing the database loaded" in line for line in lines)
    assert pairs(lines[-1])["records"] == str(Sizes.at(SCALE).records)


def test_the_board_cycle_is_measured_and_leaves_the_records_as_it_found_them() -> None:
    run()
    before = _answers()
    assert RecordStatus.SUBMITTED in {status for status, _, _ in before.values()}

    lines = run("--keep")

    assert float(pairs(lines[-1])["board_cycle_rows_per_s"]) > 0
    assert any("board cycle" in line and "after a checkpoint" in line for line in lines)
    assert _answers() == before
    assert not Email.objects.exists()


def test_a_role_not_allowed_to_checkpoint_is_told_its_cycle_figure_may_flatter() -> None:
    role = f"bench_plain_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        try:
            cursor.execute(f"SET ROLE {role}")
            assert engine.checkpoint() is False
            cursor.execute("SELECT 1")  # the refused CHECKPOINT left the connection usable
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute(f"DROP ROLE {role}")
    assert engine.checkpoint() is True
    figures = engine.CycleFigures(100, 1.0, 90, 10, after_checkpoint=False)
    assert "grant pg_checkpoint" in report.cycle_line(figures)
    assert "as at night" in report.cycle_line(dataclasses.replace(figures, after_checkpoint=True))


def _answers() -> dict[int, tuple[str, str, object]]:
    records = CompletionRecord.objects.values_list("pk", "status", "board_codes", "updated_at")
    return {pk: (status, repr(codes), updated) for pk, status, codes, updated in records}


def test_a_tiny_deadline_loses_and_doubles_nothing() -> None:
    lines = run("--deadline", "--deadline-providers", "1", "--deadline-rows", "40")
    figures = pairs(lines[-1])
    assert (figures["lost"], figures["doubled"]) == ("0", "0")
    assert float(figures["deadline_drain_s"]) > 0
    assert CompletionRecord.objects.count() == Sizes.at(SCALE).records  # the uploads are removed


def test_deadline_refuses_the_embedded_broker_before_loading_anything(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "sqlite:///var/broker.sqlite3"
    with pytest.raises(CommandError, match="CELERY_BROKER_URL=redis"):
        run("--deadline")
    assert not CompletionRecord.objects.exists()


def test_it_refuses_to_empty_a_database_it_did_not_load() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_scale_marker")
    ProviderFactory(name="Someone's real provider")
    with pytest.raises(CommandError, match="--replace"):
        run()
    assert Provider.objects.filter(name="Someone's real provider").exists()
    assert not CompletionRecord.objects.exists()


def test_replace_empties_a_database_it_did_not_load() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_scale_marker")
    ProviderFactory(name="Someone's real provider")
    run("--replace")
    assert not Provider.objects.filter(name="Someone's real provider").exists()
    assert CompletionRecord.objects.count() == Sizes.at(SCALE).records
