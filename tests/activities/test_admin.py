"""The Django admin's activity form goes through the same rules and services as every door."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from activities.models import Activity, ActivityStatus
from portal.models import Provider
from tests.factories import CompletionRecordFactory

pytestmark = pytest.mark.django_db
Add = Callable[..., Activity]


@pytest.fixture
def admin_client_(db: None) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root@pars.test", "", "pw"))
    return client


def fields(provider: Provider, **changes: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk, "provider_activity_id": "ADM-1", "title": "Admin-made course",
        "format_name": "Live Course", "status": "active", "start_date": "03/01/2026",
        "end_date": "2026-12-20", "credit_claim_date": "", "ama_credits": "6",
        "providership": "direct", "joint_providers": "", "description": "Entered by ACCME staff.",
        "url": "", "city": "Boston", "state": "MA", "country": "USA", "specialties": [],
        "commercial_support": "", "physicians": "", "other_learners": "", "rems": "",
        "moc": "ABIM | 6 | Medical Knowledge; Patient Safety\nABPath | 2 | Lifelong Learning | Cytopathology",
        **changes,
    }  # fmt: skip


def change_fields(activity: Activity, **changes: Any) -> dict[str, Any]:
    return {
        **fields(activity.provider, provider_activity_id=activity.provider_activity_id),
        **changes,
    }


def test_it_adds_an_activity_through_the_rules(admin_client_: Client, provider: Provider) -> None:
    response = admin_client_.post(reverse("admin:activities_activity_add"), fields(provider))
    assert response.status_code == 302
    activity = Activity.objects.get(provider=provider, provider_activity_id="ADM-1")
    assert len(activity.activity_id) == 9 and activity.status == ActivityStatus.ACTIVE
    boards = {r.board.code: r for r in activity.moc_registrations.all()}
    assert boards["ABIM"].points == Decimal("6")
    assert boards["ABPath"].practice_area.name == "Cytopathology"  # type: ignore[union-attr]


def test_it_shows_the_rules_codes_beside_the_admin_fields(
    admin_client_: Client, provider: Provider
) -> None:
    data = fields(provider, title="", ama_credits="2.1", moc="ABIM | 2.1 | Medical Knowledge")
    page = admin_client_.post(reverse("admin:activities_activity_add"), data).content.decode()
    assert "203: Missing Activity title." in page
    assert "468: " in page and "319: " in page
    assert not Activity.objects.filter(provider=provider).exists()


def test_it_changes_an_activity_and_refuses_a_closed_one(
    admin_client_: Client, add_activity: Add
) -> None:
    activity = add_activity()
    url = reverse("admin:activities_activity_change", args=[activity.pk])
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(url, change_fields(activity, title="Renamed by admin"))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Renamed by admin"
    Activity.objects.filter(pk=activity.pk).update(status=ActivityStatus.CLOSED)
    page = admin_client_.post(url, change_fields(activity, title="Again")).content.decode()
    assert "481: Activity " in page


def test_it_deletes_only_an_activity_without_learners(
    admin_client_: Client, add_activity: Add
) -> None:
    kept, gone = add_activity(1), add_activity(2)
    CompletionRecordFactory(activity=kept)
    for activity in (kept, gone):
        url = reverse("admin:activities_activity_delete", args=[activity.pk])
        admin_client_.post(url, {"post": "yes"}, follow=True)
    assert list(Activity.objects.values_list("pk", flat=True)) == [kept.pk]
    changelist = admin_client_.get(reverse("admin:activities_activity_changelist")).content
    assert b"delete_selected" not in changelist
