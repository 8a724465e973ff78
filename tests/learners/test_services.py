"""The engine's services: validate, store (idempotent, bulk) and process in chunks."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from learners.engine import services
from learners.engine.rows import LearnerRow
from learners.engine.services import (
    learner_rows_process,
    learner_rows_store,
    learner_rows_validate,
)
from learners.filegen import generate_learner_rows
from learners.models import CompletionRecord, RecordSource, RecordStatus
from learners.sandbox import seed_sandbox
from portal.models import Provider
from tests.factories import UserFactory
from tests.learners.test_rules import CME, MOC, REMS, TODAY, World, build_world, make_row
from uploads.models import FileType, Upload, UploadStatus

# Per chunk: activities (2, when the chunk names new ones), the directory (1), stored records (1)
# and the store (savepoints, one COPY, an UPDATE for deletes).
MAX_QUERIES_PER_CHUNK = 10
MAX_QUERIES_PER_BATCH = 3  # boards, their credit types, where stored records end


def max_queries(chunks: int) -> int:
    """The bound for a batch of `chunks` chunks of at most 500 rows, whatever the rows."""
    per_chunk = MAX_QUERIES_PER_CHUNK
    if connection.vendor != "postgresql":
        # bulk_create splits a chunk into statements of at most 999 parameters.
        fields = len(CompletionRecord._meta.concrete_fields)
        per_chunk += math.ceil(500 / (999 // fields))
    return MAX_QUERIES_PER_BATCH + chunks * per_chunk


@pytest.fixture
def world(provider: Provider, other_provider: Provider) -> World:
    return build_world(provider, other_provider)


def process(world: World, rows: list[LearnerRow], **kwargs: Any) -> Any:
    kwargs.setdefault("source", RecordSource.FILE)
    return learner_rows_process(provider=world.provider, rows=rows, today=TODAY, **kwargs)


def codes(outcome: Any) -> list[set[str]]:
    return [{e.code for e in r.errors} for r in outcome.results]


def test_it_stores_cme_only_as_accepted_and_moc_as_submitted(world: World) -> None:
    rows = [
        make_row(world, CME, 1, cme_credits="1.25"),
        make_row(world, MOC, 2, additional_credit_type="Patient Safety",
                 credit_type_points="1.5", additional_credit_type_points="0.5"),
    ]  # fmt: skip
    outcome = process(world, rows, credit_id_prefix="U7-R")
    assert (outcome.accepted, outcome.rejected, outcome.stored.added) == (2, 0, 2)
    cme = CompletionRecord.objects.get(credit_id="U7-R1")
    assert cme.status == RecordStatus.ACCEPTED
    assert (cme.learner, cme.ama_credits, cme.licensing_state) == (
        world.jane,
        Decimal("1.25"),
        "IL",
    )
    assert cme.source == RecordSource.FILE and cme.source_row == 1
    moc = CompletionRecord.objects.get(credit_id="U7-R2")
    assert moc.status == RecordStatus.SUBMITTED
    assert (moc.board.code, moc.diplomate_id, moc.moc_points) == ("ABIM", "1001", Decimal("2"))
    assert moc.moc_credits == [
        {"type": "Medical Knowledge", "points": "1.50"},
        {"type": "Patient Safety", "points": "0.50"},
    ]


def test_it_stores_rems_learners_with_their_values(world: World) -> None:
    row = make_row(world, REMS, 4, practice_state="illinois", dea_registration="none")
    outcome = process(world, [row], program="rems", credit_id_prefix="R-")
    assert outcome.accepted == 1
    record = CompletionRecord.objects.get(credit_id="R-4")
    assert record.learner is None and record.status == RecordStatus.ACCEPTED
    assert (record.rems_learner_local_id, record.rems_practice_state) == ("LMS-42", "IL")
    assert (record.rems_dea_registration, record.rems_performs_surgery) == ("None", False)


def test_it_stores_nothing_when_only_checking(world: World) -> None:
    outcome = process(world, [make_row(world, CME)], store=False)
    assert outcome.accepted == 1
    assert not CompletionRecord.objects.exists()


def test_it_rejects_a_credit_id_used_twice_in_one_batch(world: World) -> None:
    rows = [
        make_row(world, CME, 1, credit_id="LMS-7"),
        make_row(world, CME, 2, credit_id="LMS-7", completion_date="10/02/2026"),
    ]
    outcome = process(world, rows, source=RecordSource.WEB_SERVICE)
    assert codes(outcome) == [set(), {"603"}]
    assert "row 1" in outcome.results[1].errors[0].message
    assert CompletionRecord.objects.get().source == RecordSource.WEB_SERVICE


@pytest.mark.parametrize("store", [True, False])
def test_it_finds_a_second_moc_completion_across_chunks(
    world: World, store: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "LOOKUP_WINDOW", 1)  # each row looked up on its own
    rows = [make_row(world, MOC, n) for n in (1, 2, 3)]
    outcome = process(world, rows, store=store, chunk_size=1, credit_id_prefix="C-")
    assert codes(outcome) == [set(), {"717"}, {"717"}]


def test_it_rejects_a_completion_already_stored(world: World) -> None:
    process(world, [make_row(world, CME)], credit_id_prefix="first-")
    outcome = process(world, [make_row(world, CME, 5, cme_credits="1")], credit_id_prefix="again-")
    assert codes(outcome) == [{"709"}]
    assert CompletionRecord.objects.count() == 1


def test_it_deletes_by_credit_id(world: World) -> None:
    process(world, [make_row(world, CME, credit_id="LMS-1")])
    row = make_row(world, CME, 9, record_action="Delete", credit_id="LMS-1")
    outcome = process(world, [row])
    assert codes(outcome) == [set()]
    assert outcome.stored.deleted == 1
    assert CompletionRecord.objects.get().status == RecordStatus.DELETED
    assert outcome.results[0].credit_id == "LMS-1"


def test_it_deletes_by_board_id_activity_and_date(world: World) -> None:
    process(world, [make_row(world, MOC)], credit_id_prefix="A-")
    delete = make_row(world, MOC, 3, record_action="Delete", first_name="", birth_date="")
    outcome = process(world, [delete], credit_id_prefix="B-")
    assert codes(outcome) == [set()]
    assert CompletionRecord.objects.get(credit_id="A-1").status == RecordStatus.DELETED
    again = process(world, [delete], credit_id_prefix="B-")  # a retried batch: nothing left to do
    assert codes(again) == [set()] and again.stored.deleted == 0


def test_it_reports_deletes_that_find_nothing(world: World) -> None:
    process(world, [make_row(world, MOC)], credit_id_prefix="A-")
    rows = [
        make_row(world, MOC, 1, record_action="Delete", credit_id="nope"),
        make_row(world, MOC, 2, record_action="Delete", completion_date="10/02/2026"),
        make_row(world, MOC, 3, record_action="Delete", board_id="1002"),
    ]
    outcome = process(world, rows)
    assert codes(outcome) == [{"605"}, {"606"}, {"606"}]
    assert "1002" in outcome.results[2].errors[0].message
    assert CompletionRecord.objects.get().status == RecordStatus.SUBMITTED


def test_it_stores_a_chunk_once_when_stored_twice(world: World) -> None:
    results = learner_rows_validate(
        provider=world.provider, rows=[make_row(world, CME)], today=TODAY, credit_id_prefix="S-"
    )
    for _ in range(2):
        learner_rows_store(provider=world.provider, results=results, source=RecordSource.FILE)
    assert CompletionRecord.objects.count() == 1


def test_it_reports_progress_after_each_chunk(world: World) -> None:
    seen: list[int] = []
    rows = [make_row(world, CME, n, completion_date=f"10/{n:02d}/2026") for n in range(1, 6)]
    process(world, rows, chunk_size=2, on_progress=seen.append)
    assert seen == [2, 4, 5]


def _mixed_rows(world: World, count: int) -> list[LearnerRow]:
    """CME and MOC adds with given Credit IDs (some duplicates among them) and unknown deletes."""
    rows = []
    for n in range(1, count + 1):
        completion = date.fromordinal(date(2026, 9, 1).toordinal() + n % 80).strftime("%m/%d/%Y")
        if n % 5 == 0:
            rows.append(make_row(world, MOC, n, record_action="Delete", credit_id=f"gone{n}"))
        else:
            base = MOC if n % 2 else CME
            rows.append(make_row(world, base, n, completion_date=completion, credit_id=f"Q{n}"))
    return rows


@pytest.mark.parametrize("count", [20, 500])
def test_it_bounds_queries_per_chunk_whatever_the_rows(
    world: World, count: int, django_assert_max_num_queries: Any
) -> None:
    rows = _mixed_rows(world, count)
    with django_assert_max_num_queries(max_queries(1)):
        outcome = process(world, rows)
    assert len(outcome.results) == count and outcome.stored.added > 0


@pytest.fixture
def sandbox(db: None) -> Provider:
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id="0001234")


def test_it_stores_each_accepted_record_once_when_a_batch_runs_twice(
    sandbox: Provider, django_assert_max_num_queries: Any
) -> None:
    rows = generate_learner_rows(provider=sandbox, rows=2500, error_rate=0.2, today=TODAY)
    run = {"provider": sandbox, "rows": rows, "source": RecordSource.FILE, "today": TODAY}
    with django_assert_max_num_queries(max_queries(5)):
        first = learner_rows_process(**run, credit_id_prefix="U42-R")
    second = learner_rows_process(**run, credit_id_prefix="U42-R")
    assert first.accepted == 2000 and first.stored.added == 2000
    assert (second.accepted, second.rejected) == (first.accepted, first.rejected)
    assert second.stored.added == 0 and second.stored.already_stored == first.accepted
    assert codes(second) == codes(first)
    assert CompletionRecord.objects.filter(provider=sandbox).count() == first.accepted


@pytest.mark.django_db(transaction=True)
def test_it_skips_taken_credit_ids_outside_a_transaction(
    provider: Provider, other_provider: Provider
) -> None:
    world = build_world(provider, other_provider)
    rows = [make_row(world, CME, 1), make_row(world, CME, 2, completion_date="10/02/2026")]
    results = learner_rows_validate(
        provider=provider, rows=rows, today=TODAY, credit_id_prefix="T-"
    )
    learner_rows_store(provider=provider, results=results[:1], source=RecordSource.FILE)
    # As if a concurrent run had stored row 1 after this one judged it: row 2 still goes in.
    learner_rows_store(provider=provider, results=results, source=RecordSource.FILE)
    assert sorted(CompletionRecord.objects.values_list("credit_id", flat=True)) == ["T-1", "T-2"]


@pytest.mark.parametrize("credit_id", ['ccid:"quoted"', "back\\slash", "{braces},comma", "NULL"])
def test_it_finds_stored_credit_ids_whatever_their_characters(world: World, credit_id: str) -> None:
    first = process(world, [make_row(world, CME, 1, credit_id=credit_id)])
    again = make_row(world, CME, 2, credit_id=credit_id, completion_date="10/02/2026")
    deleted = make_row(world, CME, 3, record_action="Delete", credit_id=credit_id)

    assert codes(first) == [set()]
    assert codes(process(world, [again])) == [{"603"}]
    assert codes(process(world, [deleted])) == [set()]
    assert CompletionRecord.objects.get().credit_id == credit_id
    assert CompletionRecord.objects.get().status == RecordStatus.DELETED


def _upload(world: World, name: str) -> Upload:
    return Upload.objects.create(
        provider=world.provider,
        user=UserFactory(),
        original_name=name,
        size=1,
        sha256=name.ljust(64, "0"),
        file_type=FileType.XML,
        status=UploadStatus.COMPLETED,
    )


def test_it_counts_a_rerun_uploads_own_credit_ids_as_already_stored(world: World) -> None:
    rows = [
        make_row(world, CME, 1, credit_id="LMS-1"),
        make_row(world, CME, 2, credit_id="LMS-2", completion_date="10/02/2026"),
        make_row(world, CME, 3, credit_id="", last_name=""),
    ]
    upload = _upload(world, "learners.xml")

    first = process(world, rows, upload_id=upload.pk)
    rerun = process(world, rows, upload_id=upload.pk)
    other = process(world, rows, upload_id=_upload(world, "again.xml").pk)

    assert (first.accepted, first.rejected) == (2, 1)
    assert (rerun.accepted, rerun.rejected) == (2, 1)
    assert codes(rerun) == codes(first)
    assert all("603" in found for found in codes(other)[:2])
    assert CompletionRecord.objects.filter(upload=upload).count() == 2
    assert CompletionRecord.objects.count() == 2
