"""Seed the synthetic sandbox: directory, providers, logins, activities (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from activities.models import Activity
from learners.models import Learner
from learners.sandbox import (
    ADMIN_LOGIN,
    DEMO_PASSWORD,
    DEMO_WS_PASSWORD,
    PROVIDERS,
    seed_sandbox,
)


class Command(BaseCommand):
    help = "Seed the synthetic learner directory, demo providers, logins and activities."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = seed_sandbox(today=timezone.localdate())
        self.stdout.write(
            f"Sandbox ready: {Learner.objects.count()} physicians "
            f"({summary.learners_added} added), {summary.providers} providers, "
            f"{Activity.objects.count()} activities."
        )
        for spec in PROVIDERS:
            self.stdout.write(
                f"  {spec.accme_id} {spec.name}: portal login {spec.staff_email} / {DEMO_PASSWORD}; "
                f"web service {spec.ws_user} / {DEMO_WS_PASSWORD}"
            )
        self.stdout.write(f"  Admin: {ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]} at /admin/")
