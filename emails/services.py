"""Emails are queued once and sent by a retrying task; a sweep sends what an outage left behind.

`email_queue` stores the rendered email under a key that says what it is about, and dispatches
the send once the caller's transaction commits: an email exists exactly when the fact it tells
about does. `email_send` claims the row with a conditional UPDATE, so a redelivered message or
a second task never sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from emails.models import Email, EmailStatus
from portal.dispatch import task_send

logger = logging.getLogger(__name__)

# Seconds to wait before each further try while the mail server fails; the last is repeated.
RETRY_DELAYS = (10, 30, 60, 120, 300, 600, 1200)
# A send whose task has not run this long after it was due was lost (broker down, message gone).
OVERDUE_AFTER = timedelta(minutes=1)
# A worker that claimed an email and fell silent this long died while sending.
SENDING_STALE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500


class EmailNotSent(Exception):
    """A try failed and another is due in `retry_in` seconds."""

    def __init__(self, error: str, retry_in: int) -> None:
        super().__init__(error)
        self.retry_in = retry_in


def email_queue(*, key: str, about: str, to: str, subject: str, body: str, html: str) -> Email:
    """Store an email once per key; it is sent after the caller's transaction commits."""
    email, created = Email.objects.get_or_create(
        key=key[:200],
        defaults={
            "about": about[:100],
            "to": to,
            "subject": " ".join(subject.split())[:300],
            "body": body,
            "html": html,
        },
    )
    if created:
        email_id = email.pk
        transaction.on_commit(lambda: email_dispatch(email_id=email_id))
    return email


@dataclass(frozen=True)
class EmailFacts:
    """An email to render when it is sent: `kind` names its renderer, `facts` what it tells."""

    key: str
    about: str
    to: str
    kind: str
    facts: dict[str, Any]


def email_queue_unrendered(emails: Sequence[EmailFacts]) -> int:
    """Store many emails at once, each once per key, to be rendered and sent by their tasks
    after the caller's transaction commits; returns how many are queued (new or not yet sent).

    A run that tells thousands of providers (the board cycle) pays two statements here, and
    each email's rendering is paid by its own send task.
    """
    if not emails:
        return 0
    Email.objects.bulk_create(
        [
            Email(key=e.key[:200], about=e.about[:100], to=e.to, kind=e.kind, facts=e.facts)
            for e in emails
        ],
        ignore_conflicts=True,
    )
    queued = list(
        Email.objects.filter(
            key__in=[e.key[:200] for e in emails], status=EmailStatus.QUEUED, attempts=0
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: _dispatch_all(queued))
    return len(queued)


def _dispatch_all(email_ids: list[int]) -> None:
    for email_id in email_ids:
        if not email_dispatch(email_id=email_id):
            return  # the broker is down: the sweep sends them once it is back


def email_dispatch(*, email_id: int) -> bool:
    """Hand the email to a worker; False when the broker is down (the sweep sends it later)."""
    from emails.tasks import send_email

    return task_send(send_email, email_id) is None


def email_send(*, email_id: int) -> bool:
    """Send a queued email; True when this call sent it, False when there was nothing to do."""
    email = _claim(email_id)
    if email is None:
        return False
    try:
        # A render that fails (its facts are gone) is a failed try like a refused send: it is
        # retried and, after the last try, given up, never left claimed.
        if email.kind and not email.body:
            _render(email)
        _message(email).send()
    except Exception as exc:
        logger.warning(
            "Email %s to %s not sent (try %s): %r", email.pk, email.to, email.attempts, exc
        )
        retry_in = _failed(email, repr(exc))
        if retry_in is None:
            return False
        raise EmailNotSent(repr(exc), retry_in) from exc
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return True


def _message(email: Email) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def _render(email: Email) -> None:
    """Render an email queued as facts, and keep the text: the admin shows what was sent."""
    from emails.messages import render_facts

    subject, body, html = render_facts(email.kind, email.facts)
    email.subject, email.body, email.html = " ".join(subject.split())[:300], body, html
    Email.objects.filter(pk=email.pk).update(
        subject=email.subject, body=email.body, html=email.html
    )


def _claim(email_id: int) -> Email | None:
    now = timezone.now()
    due = Q(status=EmailStatus.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=EmailStatus.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    claimed = Email.objects.filter(due | abandoned, pk=email_id).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return Email.objects.get(pk=email_id) if claimed else None


def _failed(email: Email, error: str) -> int | None:
    """Record a failed try: seconds until the next one, or None when this was the last."""
    if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
            status=EmailStatus.FAILED, last_error=error, next_attempt_at=None
        )
        logger.error("Email %s to %s given up after %s tries", email.pk, email.to, email.attempts)
        return None
    retry_in = RETRY_DELAYS[min(email.attempts, len(RETRY_DELAYS)) - 1]
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.QUEUED,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
    )
    return retry_in


def emails_send_overdue(*, now: datetime | None = None) -> int:
    """Dispatch again the emails whose send was lost or whose worker died; returns how many."""
    now = now or timezone.now()
    overdue = Q(status=EmailStatus.QUEUED) & (
        Q(next_attempt_at__isnull=True, created_at__lt=now - OVERDUE_AFTER)
        | Q(next_attempt_at__lt=now - OVERDUE_AFTER)
    )
    abandoned = Q(status=EmailStatus.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    sent = 0
    for email_id in Email.objects.filter(overdue | abandoned).values_list("pk", flat=True)[
        :SWEEP_BATCH
    ]:
        # Due again a minute from now: a slow worker isn't sent the same email every sweep.
        Email.objects.filter(pk=email_id).update(next_attempt_at=now)
        if not email_dispatch(email_id=email_id):
            break  # the broker is down: the next sweep tries again
        sent += 1
    return sent
