"""bench_webservices: its requests are valid and distinct, and its runs are bounded."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from learners.models import CompletionRecord
from tests.webservices.conftest import XML, status_code
from webservices.management.commands.bench_webservices import PATH, Command, Tally

pytestmark = pytest.mark.django_db


def test_it_builds_distinct_requests_the_service_accepts(ws: Client) -> None:
    bodies = Command()._prepare("bench-password", 6)
    assert len(set(bodies)) == 6
    for body in bodies:
        response = ws.post(PATH, data=body, content_type=XML)
        assert status_code(response) == "Accepted", response.content[-400:]
    assert CompletionRecord.objects.filter(provider__accme_id="0009999").count() == 6


def test_it_starts_each_run_from_an_empty_benchmark_provider(ws: Client) -> None:
    for body in Command()._prepare("bench-password", 2):
        ws.post(PATH, data=body, content_type=XML)
    Command()._prepare("bench-password", 2)
    assert not CompletionRecord.objects.filter(provider__accme_id="0009999").exists()


@pytest.mark.parametrize(
    "options",
    [
        {"clients": 0},
        {"clients": 65},
        {"requests": 0},
        {"requests": 20_001},
        {"workers": 1},
        {"rounds": 0},
        {"rounds": 11},
    ],
)
def test_it_refuses_unbounded_runs(options: dict[str, int]) -> None:
    with pytest.raises(CommandError):
        call_command("bench_webservices", **options)


def test_it_prints_the_request_logs_cost_from_both_runs() -> None:
    off = Tally(latencies=[0.010] * 95 + [0.030] * 5, elapsed=1.0, cpu=0.30)
    on = Tally(latencies=[0.011] * 95 + [0.040] * 5, elapsed=1.05, cpu=0.32)
    out = io.StringIO()
    command = Command(stdout=out)
    command._report(off, "off", {"clients": 8})
    command._report(on, "on", {"clients": 8})
    command._report_cost(off, on)
    text = out.getvalue()
    assert "request log off: 100 requests from 8 clients" in text
    assert "throughput  100 requests/s" in text and "p95 30.0 ms" in text
    assert (
        "Request log on vs off: throughput 100 → 95 requests/s (-4.8%), p95 30.0 → 40.0 ms" in text
    )
    assert "gunicorn CPU 3.00 → 3.20 ms per request" in text
