"""bench_webservices: its requests are valid and distinct, and its runs are bounded."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from learners.models import CompletionRecord
from tests.webservices.conftest import XML, status_code
from webservices.management.commands.bench_webservices import PATH, Command

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
    [{"clients": 0}, {"clients": 65}, {"requests": 0}, {"requests": 20_001}, {"workers": 1}],
)
def test_it_refuses_unbounded_runs(options: dict[str, int]) -> None:
    with pytest.raises(CommandError):
        call_command("bench_webservices", **options)
