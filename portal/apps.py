from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Providers and accounts"

    def ready(self) -> None:
        from portal import checks  # noqa: F401 (registers the system checks)
