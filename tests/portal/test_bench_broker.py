"""The broker benchmark runs a transport through a real worker and prints its figures."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command


@pytest.mark.worker
def test_it_measures_the_embedded_broker_with_a_real_worker(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path
    # The command drops this variable from the process; monkeypatch puts it back afterwards.
    monkeypatch.setenv("CELERY_BROKER_URL", os.environ.get("CELERY_BROKER_URL", ""))
    out = StringIO()
    call_command(
        "bench_broker",
        transports="embedded",
        messages=20,
        tasks=10,
        latency_samples=3,
        writers=2,
        writer_tasks=5,
        padding=1000,
        stdout=out,
    )
    lines = out.getvalue().splitlines()

    assert lines[0].startswith("embedded: sqlite:///")
    assert "msg/s" in lines[1] and "msg/s" in lines[2]
    assert "(n=3)" in lines[3]
    assert "(10/10 run" in lines[4]
    assert "10/10 run" in lines[5] and "0 twice, worker alive" in lines[5]
    assert (tmp_path / "bench-broker" / "embedded" / "broker.sqlite3").exists()
