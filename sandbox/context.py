"""Templates link the sandbox page only on a sandbox install."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from portal.environment import is_sandbox


def sandbox_links(request: HttpRequest) -> dict[str, Any]:
    return {"sandbox_url": reverse("sandbox:home")} if is_sandbox() else {}
