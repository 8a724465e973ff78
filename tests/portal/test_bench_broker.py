"""The broker benchmark runs a transport through a real worker and prints its figures."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.core.management import call_command

from portal.brokerbench import bench_app
from portal.celery import app as portal_app
from uploads.tasks import process_upload


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


def test_a_bench_app_leaves_the_portals_tasks_on_the_portals_app(tmp_path: Path) -> None:
    # The bench runs in a process that may send the portal's own tasks (the test suite does):
    # those must keep the portal's broker, not the bench's.
    bench = bench_app("embedded", tmp_path)

    assert current_app.main == "portal"
    assert process_upload.app is portal_app
    assert bench.main == "brokerbench-embedded"
