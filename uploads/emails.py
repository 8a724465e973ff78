"""One function per email about an upload; templates in templates/emails/<name>_subject|_body."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from uploads import events
from uploads.models import FileType, Upload

logger = logging.getLogger(__name__)

# How PARS names the file types in its emails.
FILE_TYPE_WORDS: dict[str, str] = {
    FileType.TXT: "Tab-Delimited",
    FileType.XML: "XML",
    FileType.XLSX: "Excel",
}


def upload_complete_email_send(*, upload: Upload) -> bool:
    """Tell the uploader their file is processed: totals, next steps and where to look."""
    return _send(upload, "upload_complete")


def upload_failed_email_send(*, upload: Upload) -> bool:
    """Tell the uploader their file could not be processed, and why."""
    return _send(upload, "upload_failed")


def _context(upload: Upload) -> dict[str, Any]:
    uploaded = timezone.localtime(upload.created_at)
    user = upload.user
    return {
        "upload": upload,
        "name": user.get_full_name() or user.email or user.get_username(),
        "file_type_words": FILE_TYPE_WORDS.get(upload.file_type, upload.file_type.upper()),
        "uploaded_date": uploaded.strftime("%m/%d/%Y"),
        "uploaded_time": uploaded.strftime("%I:%M %p"),
        "total": f"{upload.total_records:,}",
        "processed": f"{upload.processed_records:,}",
        "rejected": f"{upload.rejected_records:,}",
        "history_url": settings.SITE_URL + reverse("uploads:history"),
        "new_url": settings.SITE_URL + reverse("uploads:new"),
        "retention_days": settings.UPLOAD_RETENTION.days,
    }


def _send(upload: Upload, name: str) -> bool:
    to = upload.user.email
    if not to:
        events.upload_email_failed_event(upload=upload, error="The uploader has no email address.")
        return False
    try:
        _message(upload, name, to).send()
    except Exception as exc:
        # The upload itself succeeded; a mail (or template) problem is recorded, not raised.
        logger.exception("Could not email upload %s to %s", upload.pk, to)
        events.upload_email_failed_event(upload=upload, error=repr(exc))
        return False
    events.upload_email_sent_event(upload=upload, to=to)
    return True


def _message(upload: Upload, name: str, to: str) -> EmailMultiAlternatives:
    context = _context(upload)
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"emails/{name}_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{name}_body.html", context), "text/html")
    return message
