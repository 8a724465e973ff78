"""Seed the synthetic sandbox: directory, providers, logins, activities (idempotent).

Only on a sandbox install (`SANDBOX=true`): the demo logins' passwords are published in the
README, so a production database must never get them by accident.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
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

NOT_A_SANDBOX = (
    "SANDBOX is off, so this install is not a sandbox: demo logins with published passwords and "
    "fictitious physicians are only seeded when SANDBOX=true."
)
DEBUG_OFF = (
    "DEBUG is off, so this looks like production: seed_sandbox creates logins whose passwords are "
    "published ({admin} / {password} is a superuser). If this install really is a sandbox, run "
    "`manage.py seed_sandbox --i-know`."
)


class Command(BaseCommand):
    help = "Seed the synthetic learner directory, demo providers, logins and activities."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--i-know",
            action="store_true",
            help="seed even though DEBUG is off (a public sandbox running production settings)",
        )
        parser.add_argument(
            "--if-sandbox",
            action="store_true",
            help="when SANDBOX is off, seed nothing and succeed instead of refusing",
        )

    def handle(self, *args: Any, i_know: bool, if_sandbox: bool, **options: Any) -> None:
        if not settings.SANDBOX:
            if if_sandbox:
                self.stdout.write("SANDBOX is off: no demo data seeded.")
                return
            raise CommandError(NOT_A_SANDBOX)
        if not settings.DEBUG and not i_know:
            raise CommandError(DEBUG_OFF.format(admin=ADMIN_LOGIN[0], password=ADMIN_LOGIN[1]))
        summary = seed_sandbox(today=timezone.localdate())
        self.stdout.write(
            f"Sandbox ready: {Learner.objects.count()} physicians "
            f"({summary.learners_added} added), {summary.providers} providers, "
            f"{Activity.objects.count()} activities."
        )
        for spec in PROVIDERS:
            web_service = (
                f"web service {spec.ws_user} / {DEMO_WS_PASSWORD}"
                if spec.ws_user
                else "web service: create an account on the Web services page"
            )
            self.stdout.write(
                f"  {spec.accme_id} {spec.name}: portal login {spec.staff_email} / {DEMO_PASSWORD}; "
                + web_service
            )
        self.stdout.write(f"  Admin: {ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]} at /admin/")
