"""Run the portal for a laptop: the web server, with a Celery worker and beat kept up beside it."""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from learners.sandbox import DEMO_PASSWORD, PROVIDERS
from portal.localrun import (
    Supervisor,
    celery_children,
    check_can_listen,
    child_environment,
    site_url_for,
)


class Command(BaseCommand):
    help = (
        "Serve the portal with a Celery worker and beat; restart either if it dies; "
        "stop all three on Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        site_url = site_url_for(addrport)
        check_can_listen(addrport)
        if not os.environ.get("SITE_URL"):
            # Links in emails point where this run serves (the worker gets it by environment).
            settings.SITE_URL = site_url
        supervisor = Supervisor(
            specs=celery_children(var_dir=settings.VAR_DIR),
            env=child_environment(os.environ, site_url=site_url),
            log=self._log,
            cwd=settings.BASE_DIR,
        )
        _on_stop_signals(_stop_like_ctrl_c)
        try:
            supervisor.start()
            self.stdout.write(self.style.SUCCESS(f"PARS Portal: {site_url}/"))
            demo = PROVIDERS[0]
            self.stdout.write(f"Log in as {demo.staff_email} / {DEMO_PASSWORD}  (admin: /admin/)")
            call_command("runserver", addrport, use_reloader=False)
        finally:
            _on_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
            supervisor.stop()

    def _log(self, line: str) -> None:
        self.stdout.write(f"runportal: {line}")
        self.stdout.flush()


def _on_stop_signals(handler: Any) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def _stop_like_ctrl_c(signum: int, frame: FrameType | None) -> None:
    # runserver stops cleanly on KeyboardInterrupt; then `finally` stops the children. Set for
    # SIGINT too: a shell starts background jobs with SIGINT ignored.
    raise KeyboardInterrupt
