"""Every email the portal sends: one function each, rendered from templates/emails/<name>_*.

Each queues its email (emails.services): the send happens in a retrying task once the caller's
transaction commits, under a key that makes a second queueing of the same news a no-op. An
upload's email is rendered now, from the facts as the caller's transaction leaves them; the board
cycle's rejection emails, thousands in one run, are queued as ids and rendered by their send task.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from emails.models import Email
from emails.services import EmailFacts, email_queue, email_queue_unrendered
from learners.models import CompletionRecord
from portal.models import Provider

if TYPE_CHECKING:
    from uploads.models import Upload

logger = logging.getLogger(__name__)

# How PARS names the file types in its emails.
FILE_TYPE_WORDS: dict[str, str] = {"txt": "Tab-Delimited", "xml": "XML", "xlsx": "Excel"}


def upload_complete_email(*, upload: Upload) -> Email | None:
    """Tell the uploader their file is processed: the counts, next steps, and its page."""
    return _upload_email(upload, "upload_complete")


def upload_failed_email(*, upload: Upload) -> Email | None:
    """Tell the uploader their file could not be processed, and why."""
    return _upload_email(upload, "upload_failed")


@dataclass(frozen=True)
class Rejection:
    """One record a board rejected, as its provider's email lists it."""

    credit_id: str
    activity_id: str
    activity_title: str
    completion_date: date
    board: str
    board_id: str
    errors: list[dict[str, str]]  # the board's codes: [{"code": …, "message": …}]


def board_rejection_emails(*, rejected: Mapping[int, Sequence[int]], today: date) -> int:
    """Tell each provider's primary contact which of its records the boards rejected: one email
    per provider, queued in bulk and rendered by its send task. `rejected` maps provider ids to
    record ids. Returns how many emails are queued; a provider without a contact gets none."""
    contacts = dict(
        Provider.objects.filter(pk__in=list(rejected))
        .exclude(primary_contact_email="")
        .values_list("pk", "primary_contact_email")
    )
    emails = []
    for provider_pk, record_ids in rejected.items():
        if not record_ids:
            continue
        if provider_pk not in contacts:
            logger.warning(
                "Provider %s has no primary contact: rejections not emailed", provider_pk
            )
            continue
        ids = sorted(record_ids)
        digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
        facts = {"provider": provider_pk, "records": ids, "today": today.isoformat()}
        emails.append(
            EmailFacts(
                key=f"board-rejection:{provider_pk}:{today.isoformat()}:{digest}",
                about=f"provider:{provider_pk}",
                to=contacts[provider_pk],
                kind="board_rejection",
                facts=facts,
            )
        )
    return email_queue_unrendered(emails)


def _board_rejection_context(facts: dict[str, Any]) -> dict[str, Any]:
    provider = Provider.objects.get(pk=facts["provider"])
    records = (
        CompletionRecord.objects.filter(pk__in=facts["records"])
        .select_related("activity", "board")
        .order_by("credit_id", "pk")
    )
    rejections = [
        Rejection(
            credit_id=r.credit_id,
            activity_id=r.activity.activity_id,
            activity_title=r.activity.title,
            completion_date=r.completion_date,
            board=r.board.code if r.board else "",
            board_id=r.diplomate_id,
            errors=list(r.board_codes),
        )
        for r in records
    ]
    return {
        "provider": provider,
        "rejections": rejections,
        "count": len(rejections),
        "today": date.fromisoformat(facts["today"]),
        "summary_url": settings.SITE_URL + reverse("learners:activity_summary"),
        "site_url": settings.SITE_URL,
    }


# The emails queued as facts, by kind: what builds each one's template context.
_CONTEXTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "board_rejection": _board_rejection_context,
}


def render_facts(kind: str, facts: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML of an email queued as facts (emails.services sends it)."""
    context = _CONTEXTS[kind](facts)
    return _render(kind, context)


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
    subject, body, html = _render(name, context)
    return email_queue(key=key, about=about, to=to, subject=subject, body=body, html=html)


def _render(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    return (
        render_to_string(f"emails/{name}_subject.txt", context),
        render_to_string(f"emails/{name}_body.txt", context),
        render_to_string(f"emails/{name}_body.html", context),
    )
