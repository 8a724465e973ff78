"""Which kind of install this is: a sandbox (demo data, sandbox tools) or production."""

from __future__ import annotations

from django.conf import settings


def is_sandbox() -> bool:
    """settings.SANDBOX; an install without the setting is a sandbox while DEBUG is on."""
    return bool(getattr(settings, "SANDBOX", settings.DEBUG))


def environment_name() -> str:
    """As PARS's support tickets name it: Sandbox or Production."""
    return "Sandbox" if is_sandbox() else "Production"
