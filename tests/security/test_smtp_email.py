"""Emails leave through Django's SMTP backend and arrive at a real SMTP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from emails.messages import upload_complete_email
from emails.models import Email, EmailStatus
from emails.services import EmailNotSent, email_send
from learners.sandbox import PROVIDERS, seed_sandbox
from portal.models import Provider
from uploads.models import Upload, UploadStatus


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield inbox
    finally:
        controller.stop()


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def test_it_delivers_an_email_through_smtp(smtp_inbox: Inbox) -> None:
    sent = send_mail(
        "Your file learners.txt is processed",
        "Total records: 3\nMuñoz, O'Keeffe, Zoë\n",
        "PARS Portal <pars-support@localhost>",
        ["demo@aaa-test.org"],
    )

    assert sent == 1
    [(sender, recipients, message)] = smtp_inbox.messages
    assert sender == "pars-support@localhost"
    assert recipients == ["demo@aaa-test.org"]
    assert message["Subject"] == "Your file learners.txt is processed"
    assert "Muñoz, O'Keeffe, Zoë" in body_text(message)


def test_it_raises_when_the_smtp_server_is_gone(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5

    with pytest.raises(OSError):
        send_mail("subject", "body", "from@localhost", ["to@localhost"])


@pytest.mark.django_db
@time_machine.travel("2026-11-22 10:00 -06:00", tick=False)
def test_it_sends_the_upload_completion_email_through_smtp(smtp_inbox: Inbox) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    user = get_user_model().objects.get(username=PROVIDERS[0].staff_email)
    upload = Upload.objects.create(
        provider=Provider.objects.get(accme_id="0001234"),
        user=user,
        original_name="learners_november.txt",
        size=1234,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
        total_records=3,
        processed_records=2,
        rejected_records=1,
    )
    email = upload_complete_email(upload=upload)
    assert email is not None

    assert email_send(email_id=email.pk) is True

    [(_, recipients, message)] = smtp_inbox.messages
    assert recipients == [user.email]
    text = body_text(message)
    assert message["Subject"] == (
        "Batch upload file report: learners_november.txt: 3 records, 2 processed, 1 not processed"
    )
    assert "Tab-Delimited file you uploaded on 11/22/2026 at 10:00 AM CST" in text
    assert "(learners_november.txt) has been processed" in text
    assert "- 3 learner records were contained in the file" in text
    assert "- 2 learner records were successfully processed" in text
    assert "- 1 learner record was not processed" in text
    assert f"/uploads/{upload.pk}/" in text
    assert message.get_body(preferencelist=("html",)) is not None
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT


@pytest.mark.django_db
@time_machine.travel("2026-11-22 10:00 -06:00", tick=False)
def test_it_keeps_a_completion_email_the_smtp_server_did_not_take(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    seed_sandbox(today=date(2026, 11, 22))
    upload = Upload.objects.create(
        provider=Provider.objects.get(accme_id="0001234"),
        user=get_user_model().objects.get(username=PROVIDERS[0].staff_email),
        original_name="learners.txt",
        size=10,
        sha256="1" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
    )
    email = upload_complete_email(upload=upload)
    assert email is not None

    with pytest.raises(EmailNotSent):
        email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED, "kept, to be sent again"
    assert email.last_error
    assert Email.objects.count() == 1
