"""The engine benchmark command runs end to end and leaves the database as it found it."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from learners.models import CompletionRecord
from learners.sandbox import seed_sandbox

pytestmark = pytest.mark.django_db

LAST_LINE = re.compile(r"^engine_rows_per_s=\d+ vs_import_export=[\d.]+x vs_floor=([\d.]+x|n/a)$")


def test_it_prints_the_figures_and_leaves_no_record_behind() -> None:
    seed_sandbox(today=timezone.localdate())
    out = StringIO()
    call_command("bench_engine", rows=20, error_rate=0.2, repeat=1, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert LAST_LINE.match(lines[-1]), lines[-1]
    assert any(line.strip().startswith("engine") and "records/s" in line for line in lines)
    assert any("django-import-export" in line and "MiB" in line for line in lines)
    if connection.vendor != "postgresql":
        assert any("COPY needs PostgreSQL" in line for line in lines)
        assert lines[-1].endswith("vs_floor=n/a")
    assert not CompletionRecord.objects.exists()


def test_it_asks_for_the_sandbox_when_the_provider_is_missing() -> None:
    with pytest.raises(CommandError, match="seed_sandbox"):
        call_command("bench_engine", rows=5, provider="0009999", stdout=StringIO())


@pytest.mark.parametrize("rows", [0, 2501])
def test_it_refuses_a_row_count_no_file_may_have(rows: int) -> None:
    seed_sandbox(today=timezone.localdate())
    with pytest.raises(CommandError, match="--rows goes from 1 to 2500"):
        call_command("bench_engine", rows=rows, stdout=StringIO())


def test_it_refuses_an_error_rate_outside_zero_to_one() -> None:
    seed_sandbox(today=timezone.localdate())
    with pytest.raises(CommandError, match="error rate"):
        call_command("bench_engine", rows=5, error_rate=1.5, stdout=StringIO())
