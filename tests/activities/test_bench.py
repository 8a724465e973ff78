"""bench_activities: prints its figures and leaves no benchmark activity behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from activities.models import Activity

pytestmark = pytest.mark.django_db


def test_it_prints_the_figures_of_a_small_run() -> None:
    out = io.StringIO()
    call_command("bench_activities", rows=20, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["xml", "xlsx"]
    assert all("added 18 (rejected 2)" in line for line in lines)
    assert not Activity.objects.filter(provider__accme_id="0009998").exists()


def test_it_refuses_more_than_a_file_may_hold() -> None:
    with pytest.raises(CommandError):
        call_command("bench_activities", rows=2501)
