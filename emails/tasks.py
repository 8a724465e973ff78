"""Celery tasks of the emails: thin interfaces that call the services by id."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from emails.services import EmailNotSent, email_send, emails_send_overdue
from portal.dispatch import QuickToGiveUpTask


# The number of tries is kept on the email row (settings.EMAIL_MAX_ATTEMPTS), not here: the
# sweep may start a fresh task for an email whose earlier task was lost.
@shared_task(
    bind=True, base=QuickToGiveUpTask, name="emails.send_email", acks_late=True, max_retries=None
)
def send_email(self: Any, email_id: int) -> bool:
    """Send one email; retried with growing delays while the mail server fails."""
    try:
        return email_send(email_id=email_id)
    except EmailNotSent as exc:
        raise self.retry(countdown=exc.retry_in) from exc


@shared_task(name="emails.send_overdue_emails")
def send_overdue_emails() -> int:
    """Periodic: send again the emails a broker outage, a lost message or a dead worker left."""
    return emails_send_overdue()
