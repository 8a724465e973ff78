"""Which Celery transport a broker URL means, and its options (read by `portal/settings.py`).

Light (no kombu, no SQLAlchemy): settings import this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_TRANSPORT = "portal.broker:Transport"


def embedded_broker_url(var_dir: Path) -> str:
    """The embedded broker: a SQLite file under `var/`, needing no server."""
    return f"sqlite:///{var_dir / 'broker.sqlite3'}"


def broker_transport(url: str, *, visibility_timeout: int) -> tuple[str | None, dict[str, Any]]:
    """(transport, transport options) for CELERY_BROKER_URL; refuses the transports that tear."""
    if url.startswith("sqlite:"):
        # The worker polls the file; a tenth of a second keeps a laptop run responsive.
        return EMBEDDED_TRANSPORT, {"polling_interval": 0.1}
    if url.startswith(("filesystem:", "sqla+")):
        raise ImproperlyConfigured(
            "CELERY_BROKER_URL: use redis://… or sqlite:///path (the embedded broker). The "
            "filesystem transport can hand a worker a half-written message, and kombu's plain "
            "SQLAlchemy transport lacks the embedded broker's SQLite settings."
        )
    # Redis: an unacknowledged task goes back to the queue after this many seconds.
    return None, {"visibility_timeout": visibility_timeout}
