"""Every email the portal sends: one function each, rendered from templates/emails/<name>_*.

Each renders its email now, from the facts as the caller's transaction leaves them, and queues it
(emails.services): the send happens in a retrying task once that transaction commits, under a key
that makes a second queueing of the same news a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from emails.models import Email
from emails.services import email_queue

if TYPE_CHECKING:
    from learners.lifecycle import Rejection
    from portal.models import Provider
    from uploads.models import Upload

# How PARS names the file types in its emails.
FILE_TYPE_WORDS: dict[str, str] = {"txt": "Tab-Delimited", "xml": "XML", "xlsx": "Excel"}


def upload_complete_email(*, upload: Upload) -> Email | None:
    """Tell the uploader their file is processed: the counts, next steps, and its page."""
    return _upload_email(upload, "upload_complete")


def upload_failed_email(*, upload: Upload) -> Email | None:
    """Tell the uploader their file could not be processed, and why."""
    return _upload_email(upload, "upload_failed")


def board_rejection_email(
    *, provider: Provider, rejections: Iterable[Rejection], today: date
) -> Email | None:
    """Tell a provider's primary contact which records the boards rejected, with the codes."""
    rejections = list(rejections)
    if not provider.primary_contact_email or not rejections:
        return None
    credit_ids = "\n".join(sorted(r.credit_id for r in rejections))
    digest = hashlib.sha256(credit_ids.encode()).hexdigest()[:32]
    context = {
        "provider": provider,
        "rejections": rejections,
        "count": len(rejections),
        "today": today,
        "summary_url": settings.SITE_URL + reverse("learners:activity_summary"),
        "site_url": settings.SITE_URL,
    }
    return _queue(
        "board_rejection",
        key=f"board-rejection:{provider.pk}:{today.isoformat()}:{digest}",
        about=f"provider:{provider.pk}",
        to=provider.primary_contact_email,
        context=context,
    )


def _upload_email(upload: Upload, name: str) -> Email | None:
    to = upload.user.email
    if not to:
        return None
    # One email per outcome: a re-run that ends again (a later finished_at) tells again.
    finished = upload.finished_at.isoformat() if upload.finished_at else str(upload.attempts)
    return _queue(
        name,
        key=f"{name}:{upload.pk}:{finished}",
        about=f"upload:{upload.pk}",
        to=to,
        context=_upload_context(upload),
    )


def _upload_context(upload: Upload) -> dict[str, Any]:
    user = upload.user
    return {
        "upload": upload,
        "name": user.get_full_name() or user.email or user.get_username(),
        "file_type_words": FILE_TYPE_WORDS.get(upload.file_type, upload.file_type.upper()),
        "program": upload.get_program_display(),
        "total": f"{upload.total_records:,}",
        "processed": f"{upload.processed_records:,}",
        "rejected": f"{upload.rejected_records:,}",
        "upload_url": settings.SITE_URL + reverse("uploads:detail", args=[upload.pk]),
        "history_url": settings.SITE_URL + reverse("uploads:history"),
        "new_url": settings.SITE_URL + reverse("uploads:new"),
        "retention_days": settings.UPLOAD_RETENTION.days,
    }


def _queue(name: str, *, key: str, about: str, to: str, context: dict[str, Any]) -> Email:
    return email_queue(
        key=key,
        about=about,
        to=to,
        subject=render_to_string(f"emails/{name}_subject.txt", context),
        body=render_to_string(f"emails/{name}_body.txt", context),
        html=render_to_string(f"emails/{name}_body.html", context),
    )
