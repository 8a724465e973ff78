"""The activity services against the real database: add, update, change, delete, mark ready."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from activities.batch import activity_rows_process
from activities.facts import ExistingActivity
from activities.inputs import MocInput
from activities.models import Activity, ActivityStatus
from activities.services import (
    activities_mark_ready_to_close,
    activity_change,
    activity_delete,
    activity_judge,
    activity_store,
    activity_submit,
)
from activities.tasks import mark_ready_to_close
from learners.models import RecordStatus
from portal.models import Provider
from tests.activities.makers import TODAY, good_activity
from tests.factories import CompletionRecordFactory

pytestmark = pytest.mark.django_db
Add = Callable[..., Activity]


def test_it_adds_an_activity_with_everything_the_portal_keeps(provider: Provider) -> None:
    item = dataclasses.replace(
        good_activity(),
        url="https://learning.example.org/cardio",
        providership="joint",
        joint_providers=("Lakeshore Society", "Prairie College"),
        specialties=("Cardiology", "Internal Medicine"),
    )
    outcome = activity_submit(provider=provider, item=item, today=TODAY)
    assert outcome.accepted, outcome.errors
    activity = Activity.objects.get(pk=outcome.activity.pk)  # type: ignore[union-attr]
    assert len(activity.activity_id) == 9
    assert activity.status == ActivityStatus.ACTIVE
    assert (activity.start_date, activity.end_date) == (date(2026, 3, 1), date(2026, 12, 20))
    assert activity.credit_claim_date == date(2027, 1, 31)
    assert activity.ama_credits == Decimal("10")
    assert activity.joint_provider_names == ["Lakeshore Society", "Prairie College"]
    assert (activity.city, activity.state, activity.country) == ("Chicago", "IL", "USA")
    assert activity.commercial_support is False
    assert sorted(s.name for s in activity.specialties.all()) == ["Cardiology", "Internal Medicine"]
    registration = activity.moc_registrations.get()
    assert (registration.board.code, registration.points) == ("ABIM", Decimal("10"))
    assert [t.name for t in registration.credit_types.all()] == ["Medical Knowledge"]


def test_it_refuses_a_second_activity_with_the_same_provider_activity_id(
    provider: Provider, add_activity: Add
) -> None:
    first = add_activity()
    outcome = activity_submit(provider=provider, item=good_activity(), today=TODAY)
    assert outcome.codes == ["103"]
    assert first.activity_id in outcome.errors[0].message


def test_it_holds_a_provider_activity_id_in_any_case(provider: Provider, add_activity: Add) -> None:
    first = add_activity()  # ACT-2026-0001
    item = dataclasses.replace(good_activity(), provider_activity_id="act-2026-0001")

    outcome = activity_submit(provider=provider, item=item, today=TODAY)

    assert outcome.codes == ["103"]
    assert first.activity_id in outcome.errors[0].message
    assert Activity.objects.filter(provider=provider).count() == 1


def test_it_lets_two_providers_use_the_same_provider_activity_id(
    provider: Provider, other_provider: Provider, add_activity: Add
) -> None:
    add_activity()
    assert activity_submit(provider=other_provider, item=good_activity(), today=TODAY).accepted


def test_it_answers_103_when_the_database_refuses_a_simultaneous_add(
    provider: Provider, add_activity: Add
) -> None:
    # Judged while the id was free; another request stores it before this one does.
    judged, existing = activity_judge(provider=provider, item=good_activity(), today=TODAY)
    add_activity()
    outcome = activity_store(
        provider=provider, judged=judged, existing=existing, item=good_activity()
    )
    assert outcome.codes == ["103"]
    assert Activity.objects.filter(provider=provider).count() == 1


def test_it_replaces_the_moc_registrations_on_an_update(
    provider: Provider, add_activity: Add
) -> None:
    activity = add_activity()
    moc = (
        MocInput("ABA", "4", ("Patient Safety",)),
        MocInput("ABP", "2", ("Quality Improvement",)),
    )
    outcome = activity_change(provider=provider, activity=activity, today=TODAY, moc=moc)
    assert outcome.accepted, outcome.errors
    registrations = {r.board.code: r for r in activity.moc_registrations.all()}
    assert sorted(registrations) == ["ABA", "ABP"]
    assert [t.name for t in registrations["ABP"].credit_types.all()] == ["Quality Improvement"]


def test_it_refuses_a_moc_registration_that_names_no_credit_type(
    provider: Provider, add_activity: Add
) -> None:
    activity = add_activity()
    before = sorted(activity.moc_registrations.values_list("board__code", flat=True))
    moc = (MocInput("ABP", "2", ()),)

    outcome = activity_change(provider=provider, activity=activity, today=TODAY, moc=moc)

    assert [(e.code, e.field) for e in outcome.errors] == [("484", "moc:ABP:credit_types")]
    assert "ABP" in outcome.errors[0].message
    assert sorted(activity.moc_registrations.values_list("board__code", flat=True)) == before


def test_it_keeps_the_practice_area_a_board_asks_for(provider: Provider, add_activity: Add) -> None:
    activity = add_activity()
    moc = (MocInput("ABPath", "2", ("Lifelong Learning",), "Cytopathology"),)
    outcome = activity_change(provider=provider, activity=activity, today=TODAY, moc=moc)
    assert outcome.accepted, outcome.errors
    assert activity.moc_registrations.get().practice_area.name == "Cytopathology"  # type: ignore[union-attr]
    missing = (MocInput("ABPath", "2", ("Lifelong Learning",)),)
    assert activity_change(
        provider=provider, activity=activity, today=TODAY, moc=missing
    ).codes == ["490"]


def test_it_walks_an_activity_from_draft_to_closed(provider: Provider, add_activity: Add) -> None:
    draft = add_activity(
        status="draft", description="", end_date="2026-06-30", credit_claim_date=""
    )
    assert draft.status == ActivityStatus.DRAFT
    refused = activity_change(provider=provider, activity=draft, today=TODAY, status="active")
    assert refused.codes == ["457"]
    ready = activity_change(
        provider=provider,
        activity=draft,
        today=TODAY,
        status="active",
        description="Heart failure.",
    )
    # Its end date has passed: Active becomes Ready to Close at once.
    assert ready.activity is not None and ready.activity.status == ActivityStatus.READY_TO_CLOSE
    not_yet = activity_change(
        provider=provider, activity=ready.activity, today=TODAY, status="closed"
    )
    assert not_yet.codes == ["457", "457", "483"]
    closed = activity_change(
        provider=provider, activity=ready.activity, today=TODAY, status="closed",
        physicians="40", other_learners="6",
    )  # fmt: skip
    assert closed.activity is not None and closed.activity.status == ActivityStatus.CLOSED
    assert (closed.activity.physician_count, closed.activity.other_learner_count) == (40, 6)
    after = activity_change(provider=provider, activity=closed.activity, today=TODAY, title="New")
    assert after.codes == ["481"]


def test_it_refuses_to_close_an_activity_that_has_not_ended(
    provider: Provider, add_activity: Add
) -> None:
    activity = add_activity()
    outcome = activity_change(
        provider=provider, activity=activity, today=TODAY, status="closed",
        physicians="1", other_learners="0",
    )  # fmt: skip
    assert outcome.codes == ["483"]


def test_it_registers_and_unregisters_rems(provider: Provider, add_activity: Add) -> None:
    activity = add_activity()
    assert activity_change(provider=provider, activity=activity, today=TODAY, rems="yes").accepted
    activity.refresh_from_db()
    assert activity.rems_registered
    CompletionRecordFactory(activity=activity, rems_learner_local_id="L-1", learner=None)
    removed = activity_change(provider=provider, activity=activity, today=TODAY, rems="no")
    assert removed.codes == ["321"]


KNOWLEDGE = [{"type": "Medical Knowledge", "points": "8.00"}]


def _reported(activity: Activity, on: date, **values: Any) -> None:
    CompletionRecordFactory(activity=activity, completion_date=on, **values)


@pytest.mark.parametrize(
    ("changes", "field", "shown"),
    [
        ({"start_date": "2026-04-11"}, "start_date", "04/11/2026 (after 04/10/2026"),
        (
            {"end_date": "2026-04-01", "credit_claim_date": "2026-04-09"},
            "credit_claim_date",
            "04/09/2026 (before 04/10/2026",
        ),
        (
            {"end_date": "2026-04-09", "credit_claim_date": ""},
            "end_date",
            "04/09/2026 (before 04/10/2026",
        ),
        ({"ama_credits": "5.75"}, "ama_credits", "5.75 (fewer than the 6.00 credits"),
        (
            {"moc": (MocInput("ABIM", "7.75", ("Medical Knowledge",)),)},
            "moc:ABIM:points",
            "7.75 (fewer than the 8.00 ABIM points",
        ),
        (
            {"moc": (MocInput("ABIM", "10", ("Patient Safety",)),)},
            "moc:ABIM:credit_types",
            "Medical Knowledge left out",
        ),
    ],
)
def test_it_refuses_an_update_that_leaves_a_reported_learner_outside_the_activity(
    provider: Provider, add_activity: Add, changes: dict[str, Any], field: str, shown: str
) -> None:
    activity = add_activity()
    abim = activity.moc_registrations.get().board
    _reported(activity, date(2026, 4, 10), ama_credits=Decimal(6), board=abim,
              moc_points=Decimal(8), moc_credits=KNOWLEDGE, status=RecordStatus.SUBMITTED)  # fmt: skip
    before = Activity.objects.values().get(pk=activity.pk)

    outcome = activity_change(provider=provider, activity=activity, today=TODAY, **changes)

    assert [(e.code, e.field) for e in outcome.errors] == [("456", field)]
    assert shown in outcome.errors[0].message
    assert activity.activity_id in outcome.errors[0].message
    assert Activity.objects.values().get(pk=activity.pk) == before


def test_it_lets_an_update_keep_its_reported_learners_inside_the_activity(
    provider: Provider, add_activity: Add
) -> None:
    activity = add_activity()
    abim = activity.moc_registrations.get().board
    _reported(activity, date(2026, 4, 10), ama_credits=Decimal(6), board=abim,
              moc_points=Decimal(8), moc_credits=KNOWLEDGE, status=RecordStatus.SUBMITTED)  # fmt: skip
    # A deleted record holds nothing: its earlier date and larger credits don't count.
    _reported(activity, date(2026, 3, 2), ama_credits=Decimal(10), status=RecordStatus.DELETED)

    outcome = activity_change(
        provider=provider, activity=activity, today=TODAY, start_date="2026-04-10",
        end_date="2026-04-10", credit_claim_date="", ama_credits="6",
        moc=(MocInput("ABIM", "8", ("Medical Knowledge",)),),
    )  # fmt: skip

    assert outcome.accepted, outcome.errors
    activity.refresh_from_db()
    assert (activity.start_date, activity.credit_claim_date) == (date(2026, 4, 10),) * 2
    assert activity.ama_credits == Decimal(6)


def test_it_refuses_rems_to_a_provider_outside_the_program(
    other_provider: Provider, add_activity: Add
) -> None:
    activity = add_activity(to=other_provider)
    outcome = activity_change(provider=other_provider, activity=activity, today=TODAY, rems="yes")
    assert outcome.codes == ["480"]


def test_it_deletes_an_activity_without_learners(provider: Provider, add_activity: Add) -> None:
    activity = add_activity()
    assert activity_delete(provider=provider, activity=activity, today=TODAY).accepted
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_it_keeps_an_activity_with_learners_or_their_history(
    provider: Provider, add_activity: Add
) -> None:
    live, history = add_activity(1), add_activity(2)
    CompletionRecordFactory(activity=live)
    CompletionRecordFactory(activity=history, status=RecordStatus.DELETED)
    assert activity_delete(provider=provider, activity=live, today=TODAY).codes == ["106"]
    assert activity_delete(provider=provider, activity=history, today=TODAY).codes == ["492"]
    assert Activity.objects.filter(pk__in=[live.pk, history.pk]).count() == 2


def test_it_answers_106_when_a_learner_arrives_between_the_check_and_the_delete(
    provider: Provider, add_activity: Add
) -> None:
    activity = add_activity()
    judged, existing = activity_judge(
        provider=provider,
        item=dataclasses.replace(
            good_activity(), action="Delete", accme_activity_id=activity.activity_id
        ),
        today=TODAY,
    )
    assert judged.accepted and isinstance(existing, ExistingActivity)
    CompletionRecordFactory(activity=activity)
    outcome = activity_store(
        provider=provider, judged=judged, existing=existing, item=good_activity()
    )
    assert outcome.codes == ["106"]
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_it_treats_another_providers_activity_as_unknown(
    provider: Provider, other_provider: Provider, add_activity: Add
) -> None:
    theirs = add_activity(to=other_provider)
    item = dataclasses.replace(
        good_activity(), action="Update", accme_activity_id=theirs.activity_id
    )
    assert activity_submit(provider=provider, item=item, today=TODAY).codes == ["104"]


def test_it_marks_ended_activities_ready_to_close(provider: Provider, add_activity: Add) -> None:
    running = add_activity(1)
    ended = add_activity(2)
    Activity.objects.filter(pk=ended.pk).update(end_date=date(2026, 11, 1), status="active")
    assert activities_mark_ready_to_close(today=TODAY) == 1
    statuses = dict(Activity.objects.values_list("pk", "status"))
    assert statuses == {running.pk: "active", ended.pk: "ready_to_close"}
    assert activities_mark_ready_to_close(today=TODAY) == 0


def test_it_runs_the_ready_to_close_task_every_night(settings: Any, add_activity: Add) -> None:
    ended = add_activity()
    Activity.objects.filter(pk=ended.pk).update(end_date=date(2026, 11, 1), status="active")
    assert mark_ready_to_close() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["activities-mark-ready-to-close"]
    assert entry["task"] == mark_ready_to_close.name


def test_it_refuses_a_control_character_in_a_batch_and_stores_the_rest(provider: Provider) -> None:
    # A "Unicode Text" file can carry a NUL, which PostgreSQL can neither store nor look up.
    broken = dataclasses.replace(good_activity(1), provider_activity_id="ACT-\x00-1")
    good = dataclasses.replace(good_activity(2), description="First line.\nSecond line.")
    outcome = activity_rows_process(provider=provider, items=[broken, good], today=TODAY)
    first, second = outcome.results
    assert [e.code for e in first.errors] == ["456"]
    assert "control character (U+0000)" in first.errors[0].message
    assert second.errors == []
    assert Activity.objects.get(provider_activity_id="ACT-2026-0002").description.count("\n") == 1
