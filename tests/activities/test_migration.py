"""Moving Activity and MocRegistration from learners to activities keeps every row.

The database is taken back to main's schema before the move (the models in learners, uploads
without a kind), filled with activities, registrations and learner records through the historical
models, then migrated forward. (A database from empty migrates forward for every test run.)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from activities.models import Activity
from learners.models import CompletionRecord

BEFORE = [
    ("learners", "0006_learner_me_number"),
    ("uploads", "0004_upload_deleted_records"),
    ("activities", None),
]


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def fill_old_tables(apps: object) -> dict[str, int]:
    """Rows as the learners app stored them before the move."""
    get = apps.get_model  # type: ignore[attr-defined]
    provider = get("portal", "Provider").objects.create(accme_id="0007777", name="Old Provider")
    course = get("learners", "ActivityFormat").objects.get(code="C")
    abim = get("learners", "Board").objects.get(code="ABIM")
    activity_model = get("learners", "Activity")
    ended = activity_model.objects.create(
        provider=provider, activity_id="200000901", provider_activity_id="OLD-1",
        title="Old ended course", format=course, start_date=date(2025, 2, 1),
        end_date=date(2025, 2, 2), credit_claim_date=date(2025, 5, 1),
        ama_credits=Decimal("4"), reporting_year=2025, status="active",
    )  # fmt: skip
    running = activity_model.objects.create(
        provider=provider, activity_id="200000902", provider_activity_id="OLD-2",
        title="Old running course", format=course, start_date=date(2026, 2, 1),
        end_date=date(2099, 1, 1), credit_claim_date=date(2099, 2, 1),
        ama_credits=Decimal("2"), reporting_year=2026, status="active",
    )  # fmt: skip
    registration = get("learners", "MocRegistration").objects.create(
        activity=ended, board=abim, points=Decimal("4")
    )
    registration.credit_types.set(get("learners", "CreditType").objects.filter(board=abim))
    record = get("learners", "CompletionRecord").objects.create(
        provider=provider, activity=ended, credit_id="ccid:old:1", completion_date=date(2025, 2, 2),
        status="accepted", source="manual",
    )  # fmt: skip
    return {"ended": ended.pk, "running": running.pk, "record": record.pk}


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_activity_models_without_losing_rows() -> None:
    leaves = latest()
    try:
        old = migrate(BEFORE)
        pks = fill_old_tables(old.loader.project_state(BEFORE[0]).apps)
        migrate(leaves)

        ended = Activity.objects.get(pk=pks["ended"])
        running = Activity.objects.get(pk=pks["running"])
        assert (ended.activity_id, ended.provider_activity_id) == ("200000901", "OLD-1")
        assert (ended.end_date, ended.ama_credits) == (date(2025, 2, 2), Decimal("4.00"))
        # "Ready to Close" is new: an active activity whose end date passed becomes it.
        assert (ended.status, running.status) == ("ready_to_close", "active")
        registration = ended.moc_registrations.get()
        assert registration.board.code == "ABIM"
        assert registration.credit_types.count() == 3
        assert CompletionRecord.objects.get(pk=pks["record"]).activity == ended
        assert Activity._meta.db_table == "learners_activity"
    finally:
        migrate(leaves)
