"""One module sends every email: queued once per key, sent after the commit by a retrying task,
and swept up again when a broker outage or a dead worker left it unsent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from emails import services
from emails.models import Email, EmailStatus
from emails.services import (
    EmailFacts,
    EmailNotSent,
    email_queue,
    email_queue_unrendered,
    email_send,
    emails_send_overdue,
)
from emails.tasks import send_email

pytestmark = pytest.mark.django_db

SMTP_DOWN = OSError("Connection refused: the mail server is down")


def queue(key: str = "test:1") -> Email:
    return email_queue(
        key=key,
        about="test:1",
        to="staff@provider.test",
        subject="  A subject\non two lines ",
        body="The body.",
        html="<p>The body.</p>",
    )


def test_it_sends_a_queued_email_once(mailoutbox: list[Any]) -> None:
    email = queue()

    assert email_send(email_id=email.pk) is True
    assert email_send(email_id=email.pk) is False

    [sent] = mailoutbox
    assert (sent.subject, sent.to, sent.body) == ("A subject on two lines", [email.to], "The body.")
    assert sent.alternatives[0] == ("<p>The body.</p>", "text/html")
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    assert email.sent_at is not None


def test_it_stores_an_email_once_per_key() -> None:
    assert queue().pk == queue().pk
    assert Email.objects.count() == 1


def test_it_dispatches_the_send_only_once_the_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with mock.patch.object(services, "email_dispatch") as dispatch:
        with django_capture_on_commit_callbacks() as callbacks:
            email = queue()
            queue()  # the same key again: no second send
            assert not dispatch.called
        assert len(callbacks) == 1
        callbacks[0]()
    dispatch.assert_called_once_with(email_id=email.pk)


def test_it_sends_nothing_for_a_rolled_back_transaction(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the fact the email tells about never happened")
    assert callbacks == []
    assert not Email.objects.exists()


def test_it_keeps_an_email_the_mail_server_refused_and_sends_it_later(
    mailoutbox: list[Any],
) -> None:
    email = queue()
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTP_DOWN),
        pytest.raises(EmailNotSent) as not_sent,
    ):
        email_send(email_id=email.pk)
    assert not_sent.value.retry_in == 10
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert "mail server is down" in email.last_error
    assert not mailoutbox

    assert email_send(email_id=email.pk) is False, "not before its next try is due"
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert email_send(email_id=email.pk) is True
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 2, "")


def test_it_gives_up_after_the_last_try(settings: Any, mailoutbox: list[Any]) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 2
    email = queue()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTP_DOWN):
        with pytest.raises(EmailNotSent):
            email_send(email_id=email.pk)
        with time_machine.travel(timezone.now() + timedelta(minutes=1)):
            assert email_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)
    assert not mailoutbox


def test_an_email_queued_as_facts_that_cannot_be_rendered_is_retried_then_given_up(
    settings: Any, mailoutbox: list[Any]
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 2
    facts = {"provider": 0, "records": [1], "today": "2026-11-22"}  # no such provider
    unrendered = EmailFacts(
        key="test:facts", about="provider:0", to="cme@x.test", kind="board_rejection", facts=facts
    )
    assert email_queue_unrendered([unrendered, unrendered]) == 1
    email = Email.objects.get()

    with pytest.raises(EmailNotSent):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    assert "DoesNotExist" in email.last_error
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert email_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts, email.body) == (EmailStatus.FAILED, 2, "")
    assert not mailoutbox


def test_the_task_retries_with_growing_delays() -> None:
    email = queue()
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTP_DOWN),
        mock.patch.object(send_email, "retry", side_effect=RuntimeError("retry")) as retry,
        pytest.raises(RuntimeError, match="retry"),
    ):
        send_email(email.pk)
    retry.assert_called_once_with(countdown=10)


def test_the_task_is_a_thin_late_acknowledged_interface() -> None:
    assert send_email.acks_late
    assert send_email.name == "emails.send_email"


def test_the_sweep_sends_what_the_broker_never_took() -> None:
    email = queue()
    with mock.patch.object(services, "email_dispatch", return_value=True) as dispatch:
        assert emails_send_overdue() == 0, "just queued: its own send is on its way"
        later = timezone.now() + timedelta(minutes=2)
        assert emails_send_overdue(now=later) == 1
        assert emails_send_overdue(now=later) == 0, "sent again: due again a minute later"
    dispatch.assert_called_once_with(email_id=email.pk)


def test_the_sweep_sends_again_an_email_whose_worker_died_sending_it(
    mailoutbox: list[Any],
) -> None:
    email = queue()
    Email.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, claimed_at=timezone.now(), attempts=1
    )
    later = timezone.now() + timedelta(minutes=6)
    with mock.patch.object(services, "email_dispatch", return_value=True) as dispatch:
        assert emails_send_overdue(now=later) == 1
    dispatch.assert_called_once_with(email_id=email.pk)
    with time_machine.travel(later):
        assert email_send(email_id=email.pk) is True
    assert len(mailoutbox) == 1


def test_the_sweep_stops_at_the_first_send_the_broker_refuses() -> None:
    for n in range(3):
        queue(key=f"test:{n}")
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch.object(services, "email_dispatch", return_value=False) as dispatch:
        assert emails_send_overdue(now=later) == 0
    assert dispatch.call_count == 1
