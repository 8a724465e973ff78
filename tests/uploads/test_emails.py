"""The upload emails, as PARS's sample and more: the file and counts in the subject, the program
and the upload's own page in the body, every time with its time zone; queued once per outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile

from emails.messages import upload_complete_email, upload_failed_email
from emails.models import Email
from portal.models import Provider
from tests.factories import UserFactory
from uploads.models import Upload, UploadEventType, UploadStatus
from uploads.processing import upload_email_queue

UPLOADED = datetime(2026, 11, 20, 11, 58, tzinfo=ZoneInfo("America/Chicago"))
FINISHED = datetime(2026, 11, 20, 11, 59, 30, tzinfo=ZoneInfo("America/Chicago"))


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
            finished_at=FINISHED,
        )
        upload.report_file.save("r.txt", ContentFile(b"r"), save=False)
        upload.save()
    return upload


def test_it_sends_the_completion_report_like_pars(upload: Upload, deliver_emails: Any) -> None:
    assert upload_complete_email(upload=upload) is not None

    [email] = deliver_emails()
    assert email.subject == (
        "Batch upload file report: 200930149_May_Learners.txt: 2,500 records, "
        "1,998 processed, 502 not processed"
    )
    assert email.to == ["johnny@provider.test"]
    body = email.body
    assert body.startswith("Hello Johnny Tester,")
    assert (
        "The Tab-Delimited file you uploaded on 11/20/2026 at 11:58 AM CST "
        "(200930149_May_Learners.txt) has been processed by PARS." in body
    )
    assert "Program: Licensing or Specialty Board" in body
    assert "- 2,500 learner records were contained in the file" in body
    assert "- 1,998 learner records were successfully processed" in body
    assert "- 502 learner records were not processed" in body
    assert "make corrections to these records" in body
    assert "This file will be available for 30 days" in body
    assert f"This upload: https://pars.example.org/uploads/{upload.pk}/" in body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="https://pars.example.org/uploads/{upload.pk}/"' in html
    assert "1,998 learner records were successfully processed" in html
    assert "11:58 AM CST" in html


def test_it_names_the_rems_program(upload: Upload, deliver_emails: Any) -> None:
    upload.program = "rems"
    upload_complete_email(upload=upload)
    assert "Program: Opioid Analgesic REMS" in deliver_emails()[0].body


def test_it_carries_daylight_saving_time_in_summer(upload: Upload, deliver_emails: Any) -> None:
    upload.created_at = datetime(2026, 7, 6, 9, 5, tzinfo=ZoneInfo("America/Chicago"))
    upload_complete_email(upload=upload)
    assert "on 07/06/2026 at 09:05 AM CDT" in deliver_emails()[0].body


def test_it_counts_one_record_in_the_singular(upload: Upload, deliver_emails: Any) -> None:
    upload.total_records, upload.processed_records, upload.rejected_records = 1, 1, 0
    upload_complete_email(upload=upload)
    email = deliver_emails()[0]
    assert email.subject.endswith(": 1 record, 1 processed, 0 not processed")
    assert "- 1 learner record was contained in the file" in email.body
    assert "- 1 learner record was successfully processed" in email.body


@pytest.mark.parametrize(
    ("file_type", "words"), [("xml", "The XML file"), ("xlsx", "The Excel file")]
)
def test_it_names_the_file_type(
    upload: Upload, deliver_emails: Any, file_type: str, words: str
) -> None:
    upload.file_type = file_type
    upload_complete_email(upload=upload)
    assert words in deliver_emails()[0].body


def test_it_says_there_is_nothing_to_fix_when_every_row_passed(
    upload: Upload, deliver_emails: Any
) -> None:
    upload.processed_records, upload.rejected_records = 2500, 0
    upload_complete_email(upload=upload)
    body = deliver_emails()[0].body
    assert "nothing more to do" in body
    assert "make corrections" not in body


def test_it_words_a_check_as_a_check(upload: Upload, deliver_emails: Any) -> None:
    upload.mode = "check"
    upload_complete_email(upload=upload)
    email = deliver_emails()[0]
    assert email.subject == (
        "Batch upload file check report: 200930149_May_Learners.txt: 2,500 records, "
        "1,998 would be processed, 502 would not"
    )
    assert "has been checked by PARS" in email.body
    assert "no learner records were stored" in email.body
    assert "1,998 learner records would be processed" in email.body


def test_it_explains_a_failure(upload: Upload, deliver_emails: Any) -> None:
    upload.status = UploadStatus.FAILED
    upload.error_message = "THE FILE IS NOT FORMATTED CORRECTLY. Line 3 is broken."
    upload_failed_email(upload=upload)
    email = deliver_emails()[0]
    assert email.subject == "Batch upload file could not be processed: 200930149_May_Learners.txt"
    assert "on 11/20/2026 at 11:58 AM CST" in email.body
    assert "THE FILE IS NOT FORMATTED CORRECTLY. Line 3 is broken." in email.body
    assert f"https://pars.example.org/uploads/{upload.pk}/" in email.body
    assert "Program: Licensing or Specialty Board" in email.body


def test_it_queues_one_email_per_outcome(upload: Upload, deliver_emails: Any) -> None:
    first = upload_complete_email(upload=upload)
    again = upload_complete_email(upload=upload)

    assert first is not None and again is not None
    assert again.pk == first.pk
    assert len(deliver_emails()) == 1
    deliver_emails()
    assert len(deliver_emails()) == 1


def test_it_tells_again_when_a_rerun_ends_again(upload: Upload, deliver_emails: Any) -> None:
    upload_failed_email(upload=upload)
    upload.finished_at = datetime(2026, 11, 21, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
    upload_failed_email(upload=upload)
    assert len(deliver_emails()) == 2


def test_it_records_the_queued_email_on_the_upload(upload: Upload) -> None:
    upload_email_queue(upload=upload)

    event = upload.events.get(type=UploadEventType.EMAIL_QUEUED)
    assert "johnny@provider.test" in event.message
    assert Email.objects.get().about == f"upload:{upload.pk}"


def test_it_skips_a_user_without_an_email(upload: Upload, deliver_emails: Any) -> None:
    upload.user.email = ""
    assert upload_complete_email(upload=upload) is None
    assert deliver_emails() == []
    assert not Email.objects.exists()
