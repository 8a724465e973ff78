"""Every admin page loads for a superuser, and records stay read-only."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from learners.models import CompletionRecord
from learners.sandbox import seed_sandbox
from tests.factories import CompletionRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_seeded() -> Client:
    seed_sandbox(today=date(2026, 11, 22))
    CompletionRecordFactory()
    client = Client()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    client.user = superuser  # type: ignore[attr-defined]
    return client


def test_it_loads_every_changelist_and_change_page(admin_client_seeded: Client) -> None:
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client_seeded.get(changelist).status_code == 200, changelist
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert admin_client_seeded.get(change).status_code == 200, change
        request = RequestFactory().get("/")
        request.user = admin_client_seeded.user  # type: ignore[attr-defined]
        if model_admin.has_add_permission(request):
            add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
            assert admin_client_seeded.get(add).status_code == 200, add


def test_it_searches_the_learner_directory(admin_client_seeded: Client) -> None:
    response = admin_client_seeded.get(reverse("admin:learners_learner_changelist"), {"q": "ACCME"})

    assert response.status_code == 200
    assert b"ACCME" in response.content


def test_it_does_not_let_admins_edit_completion_records(admin_client_seeded: Client) -> None:
    record = CompletionRecord.objects.first()
    url = reverse("admin:learners_completionrecord_change", args=[record.pk])

    admin_client_seeded.post(url, {"credit_id": "changed"})

    record.refresh_from_db()
    assert record.credit_id != "changed"
    assert (
        admin_client_seeded.get(reverse("admin:learners_completionrecord_add")).status_code == 403
    )
