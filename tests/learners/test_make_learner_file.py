"""Generated learner files: realistic, deterministic, and judged exactly as intended."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from activities.models import Activity
from learners.engine.services import learner_rows_process, learner_rows_validate
from learners.filegen import (
    BOARD_DEFECTS,
    FileGenerationError,
    generate_learner_file,
    generate_learner_rows,
)
from learners.formats import read_learner_file
from learners.sandbox import seed_sandbox
from portal.models import Provider

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture
def sandbox_provider(settings) -> Provider:
    # The sandbox sets demo passwords: a fast hasher keeps seeding cheap in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id="0001234")


def judge(provider: Provider, data: bytes, file_type: str, program: str = "board") -> list:
    rows = read_learner_file(data, file_type=file_type, program=program)
    return learner_rows_validate(
        provider=provider, rows=rows, program=program, today=TODAY, credit_id_prefix="T-"
    )


@pytest.mark.parametrize("file_type", ["txt", "xml", "xlsx"])
def test_it_writes_each_format_with_the_asked_share_of_defects(
    sandbox_provider: Provider, file_type: str
) -> None:
    data = generate_learner_file(
        provider=sandbox_provider,
        rows=60,
        error_rate=0.25,
        file_type=file_type,
        seed=7,
        today=TODAY,
    )

    results = judge(sandbox_provider, data, file_type)

    assert len(results) == 60
    rejected = [r for r in results if r.errors]
    assert len(rejected) == 15
    # One known defect each; in XML an unknown board is both the UniqueID's domain (712) and the
    # certificate's activityCertification (676).
    assert all(len(set(r.codes)) == 1 or set(r.codes) == {"676", "712"} for r in rejected)


def test_it_makes_only_valid_rows_without_defects(sandbox_provider: Provider) -> None:
    data = generate_learner_file(
        provider=sandbox_provider, rows=400, error_rate=0, file_type="txt", seed=3, today=TODAY
    )

    results = judge(sandbox_provider, data, "txt")

    assert [r.codes for r in results if r.errors] == []
    rows = [r.row for r in results]
    assert {r.record_action.casefold() for r in rows} == {"add"}
    assert any(r.board for r in rows) and any(r.cme_credits and not r.board for r in rows)
    once = {a.activity_id for a in Activity.objects.filter(repeat_participation=False)}
    learners = [(r.learner_id, r.row.activity_id) for r in results if r.row.activity_id in once]
    assert len(learners) == len(set(learners)) > 0


def test_it_covers_every_board_defect_with_the_expected_code(sandbox_provider: Provider) -> None:
    rows = generate_learner_rows(
        provider=sandbox_provider, rows=len(BOARD_DEFECTS), error_rate=1, seed=1, today=TODAY
    )

    results = learner_rows_validate(provider=sandbox_provider, rows=rows, today=TODAY)

    codes = Counter(code for r in results for code in r.codes)
    assert {"690", "671", "623", "728", "748", "750", "601"} <= set(codes)
    assert codes.keys() & {"675", "722"} and codes.keys() & {"664", "718"}
    assert all(r.errors for r in results)


def test_it_writes_valid_rems_files(sandbox_provider: Provider) -> None:
    data = generate_learner_file(
        provider=sandbox_provider,
        rows=40,
        error_rate=0.25,
        file_type="xml",
        program="rems",
        seed=2,
        today=TODAY,
    )

    results = judge(sandbox_provider, data, "xml", program="rems")

    assert len(results) == 40
    assert sum(1 for r in results if r.errors) == 10
    assert {r.row.activity_id for r in results if not r.errors} == {"210015525"}


def test_it_is_deterministic_for_a_seed(sandbox_provider: Provider) -> None:
    def make(seed: int) -> bytes:
        return generate_learner_file(
            provider=sandbox_provider,
            rows=50,
            error_rate=0.1,
            file_type="xml",
            seed=seed,
            today=TODAY,
        )

    assert make(5) == make(5)
    assert make(5) != make(6)


def test_it_avoids_completions_already_stored(sandbox_provider: Provider) -> None:
    first = generate_learner_rows(
        provider=sandbox_provider, rows=300, error_rate=0, seed=4, today=TODAY
    )
    stored = learner_rows_process(
        provider=sandbox_provider, rows=first, source="file", today=TODAY, credit_id_prefix="A-"
    )
    assert stored.rejected == 0

    again = generate_learner_rows(
        provider=sandbox_provider, rows=300, error_rate=0, seed=4, today=TODAY
    )
    results = learner_rows_validate(
        provider=sandbox_provider, rows=again, today=TODAY, credit_id_prefix="B-"
    )

    assert [r.codes for r in results if r.errors] == []


def test_it_refuses_what_the_sandbox_cannot_give(sandbox_provider: Provider) -> None:
    with pytest.raises(FileGenerationError, match="between 0 and 1"):
        generate_learner_rows(provider=sandbox_provider, rows=5, error_rate=1.5, today=TODAY)
    with pytest.raises(FileGenerationError, match="at least one row"):
        generate_learner_rows(provider=sandbox_provider, rows=0, error_rate=0, today=TODAY)
    empty = Provider.objects.create(
        accme_id="0009999", name="Empty", primary_contact_email="e@x.test"
    )
    with pytest.raises(FileGenerationError, match="no active activity"):
        generate_learner_rows(provider=empty, rows=5, error_rate=0, today=TODAY)


@time_machine.travel("2026-11-22 12:00:00", tick=False)
@pytest.mark.parametrize("file_type", ["txt", "xml", "xlsx"])
def test_the_command_writes_a_file_that_reads_back(
    sandbox_provider: Provider, tmp_path: Path, file_type: str
) -> None:
    output = tmp_path / f"learners.{file_type}"

    call_command(
        "make_learner_file", "--rows", "25", "--error-rate", "0.2", "--format", file_type,
        "--provider", "1234", "--seed", "9", "--output", str(output),
    )  # fmt: skip

    rows = read_learner_file(output.read_bytes(), file_type=file_type)
    assert len(rows) == 25


@time_machine.travel("2026-11-22 12:00:00", tick=False)
def test_the_command_explains_bad_requests(sandbox_provider: Provider, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No provider with ACCME Provider ID 0000042"):
        call_command("make_learner_file", "--rows", "5", "--provider", "42")
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command(
            "make_learner_file", "--rows", "5", "--provider", "0001234", "--error-rate", "10"
        )
    with pytest.raises(CommandError, match="no active REMS activity"):
        call_command(
            "make_learner_file", "--rows", "5", "--provider", "0005678", "--program", "rems"
        )
