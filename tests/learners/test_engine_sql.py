"""The engine's SQL helpers: values looked up in bulk come back exactly, on every database."""

from __future__ import annotations

import pytest
from django.db import connection

from learners.engine.load import _records_query
from learners.engine.sql import any_of, each_of
from learners.models import CompletionRecord
from tests.factories import CompletionRecordFactory

AWKWARD_IDS = ["plain", 'with "quotes"', "back\\slash", "NULL", "a,b", "{braces}", "ünï"]


@pytest.mark.django_db
@pytest.mark.parametrize("lookup", [any_of, each_of])
def test_it_finds_exactly_the_records_whose_credit_ids_are_given(lookup: object) -> None:
    for credit_id in [*AWKWARD_IDS, "not asked for"]:
        CompletionRecordFactory(credit_id=credit_id)

    found = CompletionRecord.objects.filter(lookup("credit_id", AWKWARD_IDS))  # type: ignore[operator]

    assert sorted(found.values_list("credit_id", flat=True)) == sorted(AWKWARD_IDS)


@pytest.mark.django_db
def test_it_finds_nothing_for_no_credit_ids() -> None:
    CompletionRecordFactory(credit_id="A-1")

    assert not CompletionRecord.objects.filter(each_of("credit_id", [])).exists()


@pytest.mark.django_db
def test_the_records_look_up_joins_a_windows_credit_ids_rather_than_weighing_each() -> None:
    """With `= ANY(array)` PostgreSQL weighs each of 2,500 Credit IDs against the statistics and
    plans parallel workers that cost more to start than the probes."""
    shape = (True, False, False, False, False)
    values = {"provider": 1, "credit_ids": ["A-1", "A-2"]}

    sql, _ = _records_query(shape, values).query.get_compiler(connection=connection).as_sql()

    if connection.vendor == "postgresql":
        assert '"credit_id" IN (SELECT unnest(%s::varchar[]))' in sql
        assert "ANY(" not in sql
    else:
        assert '"credit_id" IN (%s, %s)' in sql
