"""The completion email, as PARS's sample: type, date and time, totals, next steps, link."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile

from portal.models import Provider
from tests.factories import UserFactory
from uploads import emails
from uploads.models import Upload, UploadEventType, UploadStatus

UPLOADED = datetime(2026, 11, 20, 11, 58, tzinfo=ZoneInfo("America/Chicago"))


@pytest.fixture
def upload(provider: Provider, settings: Any) -> Upload:
    settings.SITE_URL = "https://pars.example.org"
    settings.TIME_ZONE = "America/Chicago"
    user = UserFactory(first_name="Johnny", last_name="Tester", email="johnny@provider.test")
    with time_machine.travel(UPLOADED):
        upload = Upload(
            provider=provider,
            user=user,
            original_name="200930149_May_Learners.txt",
            size=3,
            sha256="d" * 64,
            file_type="txt",
            status=UploadStatus.COMPLETED,
            total_records=2500,
            processed_records=1998,
            rejected_records=502,
        )
        upload.report_file.save("r.txt", ContentFile(b"r"), save=False)
        upload.save()
    return upload


def test_it_sends_the_completion_report_like_pars(upload: Upload, mailoutbox: list[Any]) -> None:
    assert emails.upload_complete_email_send(upload=upload)

    [email] = mailoutbox
    assert email.subject == "Batch upload file report"
    assert email.to == ["johnny@provider.test"]
    body = email.body
    assert body.startswith("Hello Johnny Tester,")
    assert (
        "The Tab-Delimited file you uploaded on 11/20/2026 at 11:58 AM "
        "(200930149_May_Learners.txt) has been processed by PARS." in body
    )
    assert "- 2,500 learner records were contained in the file" in body
    assert "- 1,998 learner records were successfully processed" in body
    assert "- 502 learner records were not processed" in body
    assert "make corrections to these records" in body
    assert "available on the View Upload History page for 30 days" in body
    assert "https://pars.example.org/uploads/history/" in body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://pars.example.org/uploads/history/"' in html
    assert "1,998 learner records were successfully processed" in html
    assert UploadEventType.EMAIL_SENT in upload.events.values_list("type", flat=True)


@pytest.mark.parametrize(
    ("file_type", "words"), [("xml", "The XML file"), ("xlsx", "The Excel file")]
)
def test_it_names_the_file_type(
    upload: Upload, mailoutbox: list[Any], file_type: str, words: str
) -> None:
    upload.file_type = file_type
    emails.upload_complete_email_send(upload=upload)
    assert words in mailoutbox[0].body


def test_it_says_there_is_nothing_to_fix_when_every_row_passed(
    upload: Upload, mailoutbox: list[Any]
) -> None:
    upload.processed_records, upload.rejected_records = 2500, 0
    emails.upload_complete_email_send(upload=upload)
    assert "nothing more to do" in mailoutbox[0].body
    assert "make corrections" not in mailoutbox[0].body


def test_it_words_a_check_as_a_check(upload: Upload, mailoutbox: list[Any]) -> None:
    upload.mode = "check"
    emails.upload_complete_email_send(upload=upload)
    email = mailoutbox[0]
    assert email.subject == "Batch upload file check report"
    assert "has been checked by PARS" in email.body
    assert "no learner records were stored" in email.body
    assert "1,998 learner records would be processed" in email.body


def test_it_explains_a_failure(upload: Upload, mailoutbox: list[Any]) -> None:
    upload.status = UploadStatus.FAILED
    upload.error_message = "The file could not be read: line 3 is broken."
    emails.upload_failed_email_send(upload=upload)
    email = mailoutbox[0]
    assert email.subject == "Batch upload file could not be processed"
    assert "line 3 is broken" in email.body
    assert "https://pars.example.org/uploads/" in email.body


def test_it_records_a_mail_outage_without_failing(upload: Upload) -> None:
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
    ):
        assert not emails.upload_complete_email_send(upload=upload)
    event = upload.events.get(type=UploadEventType.EMAIL_FAILED)
    assert "SMTP down" in event.message


def test_it_skips_a_user_without_an_email(upload: Upload, mailoutbox: list[Any]) -> None:
    upload.user.email = ""
    assert not emails.upload_complete_email_send(upload=upload)
    assert not mailoutbox
