"""709 and 603 hold under any interleaving: real threads, each with its own database connection."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client

from learners.engine.rows import BOARD_COLUMNS
from learners.engine.services import learner_rows_process
from learners.filegen import generate_learner_rows
from learners.models import CompletionRecord, RecordSource
from learners.sandbox import seed_sandbox
from portal.models import Provider
from tests.concurrency import together as _together
from tests.doors import activity_report, learner_reports_xml, submit_message
from tests.webservices.conftest import PASSWORD, PROVIDER_ID, SAVE_LEARNER, TODAY, USER, XML
from tests.webservices.test_save_learner_activity import report

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox_committed() -> Provider:
    seed_sandbox(today=TODAY)
    return Provider.objects.get(accme_id=PROVIDER_ID)


def _save(data: str) -> str:
    body = submit_message(data, user=USER, password=PASSWORD, provider_id=PROVIDER_ID)
    response = Client().post(SAVE_LEARNER, data=body, content_type=XML)
    assert response.status_code == 200, response.content
    text = response.content.decode()
    return "Accepted" if "<StatusCode>Accepted</StatusCode>" in text else text


def _pairs_stored_twice() -> int:
    return (
        CompletionRecord.objects.live()
        .values("activity_id", "learner_id", "completion_date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def test_it_stores_one_of_20_simultaneous_calls_for_one_completion(
    sandbox_committed: Provider,
) -> None:
    calls = [
        lambda n=n: _save(report().replace("ccid:aaatestorganization.org:v3123", f"race{n}-"))
        for n in range(20)
    ]

    answers = _together(calls)

    assert sum(1 for a in answers if a == "Accepted") == 1, answers
    assert all(a == "Accepted" or "<Code>709</Code>" in a for a in answers), answers
    assert CompletionRecord.objects.count() == 1


def test_it_stores_a_credit_id_once_when_two_calls_race(sandbox_committed: Provider) -> None:
    # Same Credit IDs, different completion dates: one stored, the other 603.
    calls = [
        lambda: _save(report()),
        lambda: _save(report(date=("2025-07-06", "2025-07-07"))),
    ]

    answers = _together(calls)

    assert sorted(a == "Accepted" for a in answers) == [False, True], answers
    assert any("<Code>603</Code>" in a for a in answers if a != "Accepted")
    assert CompletionRecord.objects.count() == 1


def test_it_never_stores_a_completion_twice_when_calls_race_an_upload(
    sandbox_committed: Provider,
) -> None:
    rows = generate_learner_rows(provider=sandbox_committed, rows=60, error_rate=0, today=TODAY)
    reports = [
        learner_reports_xml(
            [activity_report({n: getattr(r, n) for n, _ in BOARD_COLUMNS}, f"ws-{r.row_number}")]
        )
        for r in rows
    ]
    file_rows = [dataclasses.replace(r, credit_id="") for r in rows]

    def upload() -> Any:
        return learner_rows_process(
            provider=sandbox_committed, rows=file_rows, source=RecordSource.FILE, today=TODAY,
            credit_id_prefix="U77-R", chunk_size=10,
        )  # fmt: skip

    calls: list[Callable[[], Any]] = [upload] + [lambda d=d: _save(d) for d in reports[::3]]
    outcome, *answers = _together(calls)

    assert not isinstance(outcome, Exception), outcome
    assert _pairs_stored_twice() == 0
    stored_by_ws = CompletionRecord.objects.filter(source=RecordSource.WEB_SERVICE).count()
    stored_by_file = CompletionRecord.objects.filter(source=RecordSource.FILE).count()
    assert stored_by_ws == sum(1 for a in answers if a == "Accepted")
    assert stored_by_file == outcome.accepted == outcome.stored.added
    assert stored_by_ws + stored_by_file == len(rows)
    refused = [r for r in outcome.results if not r.accepted]
    assert all(set(r.codes) <= {"709", "717"} for r in refused)
