"""The worker side: claim, chunks and progress, reports, idempotency, failures, check-only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learners.models import CompletionRecord
from portal.models import Provider
from tests.uploads.conftest import PostUpload, latest_upload
from uploads import processing, services
from uploads.dispatch import upload_send_to_worker
from uploads.models import Upload, UploadEventType, UploadStatus
from uploads.processing import upload_process
from uploads.tasks import process_upload


class WorkerKilled(BaseException):
    """Stands in for a worker process dying mid-file (not an Exception: nothing catches it)."""


@pytest.fixture
def queued(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    assert post_upload(staff_client, good_and_bad_file).status_code == 303
    return latest_upload(provider)


def _types(upload: Upload) -> list[str]:
    return list(upload.events.values_list("type", flat=True))


def test_it_checks_a_file_without_storing_any_record(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    deliver_emails: Any,
) -> None:
    response = post_upload(staff_client, good_and_bad_file, mode="check")
    assert response.status_code == 303
    upload = latest_upload(provider)
    assert upload.is_check

    upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert (upload.total_records, upload.processed_records, upload.rejected_records) == (3, 2, 1)
    assert not CompletionRecord.objects.exists()
    assert upload.has_report
    page = staff_client.get(reverse("uploads:detail", args=[upload.pk])).content.decode()
    assert "HAS BEEN CHECKED. NO RECORDS WERE STORED." in page
    assert reverse("uploads:rejected_txt", args=[upload.pk]) in page
    assert "View submission" not in page
    assert staff_client.get(reverse("uploads:summary_pdf", args=[upload.pk])).status_code == 404
    history = staff_client.get(reverse("uploads:history")).content.decode()
    assert "(check only)" in history
    assert "has been checked by PARS" in deliver_emails()[0].body


def test_it_does_nothing_when_run_a_second_time(queued: Upload, deliver_emails: Any) -> None:
    upload_process(upload_id=queued.pk)
    first = sorted(CompletionRecord.objects.values_list("credit_id", flat=True))
    upload_process(upload_id=queued.pk)

    assert sorted(CompletionRecord.objects.values_list("credit_id", flat=True)) == first
    assert _types(queued).count(UploadEventType.STARTED) == 1
    assert len(deliver_emails()) == 1


def test_it_stores_nothing_twice_when_rerun_after_a_crash(
    queued: Upload, monkeypatch: pytest.MonkeyPatch, deliver_emails: Any
) -> None:
    monkeypatch.setattr(processing, "CHUNK_SIZE", 1)
    real_progress = processing._progress_reporter

    def die_after_two_rows(upload_id: int, *args: Any) -> Any:
        report = real_progress(upload_id, *args)

        def progress(done: int) -> None:
            report(done)
            if done == 2:
                raise WorkerKilled

        return progress

    monkeypatch.setattr(processing, "_progress_reporter", die_after_two_rows)
    with pytest.raises(WorkerKilled):
        upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.PROCESSING
    assert queued.progress_records == 2
    assert CompletionRecord.objects.count() == 1  # row 1 stored, row 2 rejected, row 3 not reached

    monkeypatch.setattr(processing, "_progress_reporter", real_progress)
    # Another message arrives; while the first run could still be alive it is left alone.
    upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.PROCESSING
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        upload_process(upload_id=queued.pk)

    queued.refresh_from_db()
    assert queued.status == UploadStatus.COMPLETED
    assert queued.attempts == 2
    assert (queued.processed_records, queued.rejected_records) == (2, 1)
    assert sorted(CompletionRecord.objects.values_list("credit_id", flat=True)) == [
        f"U{queued.pk}-R2",
        f"U{queued.pk}-R4",
    ]
    assert len(deliver_emails()) == 1


def test_it_reports_progress_chunk_by_chunk(
    queued: Upload, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processing, "CHUNK_SIZE", 1)
    seen: list[int] = []
    real_progress = processing._progress_reporter

    def spy(upload_id: int, *args: Any) -> Any:
        report = real_progress(upload_id, *args)

        def progress(done: int) -> None:
            report(done)
            seen.append(Upload.objects.get(pk=upload_id).progress_records)

        return progress

    monkeypatch.setattr(processing, "_progress_reporter", spy)
    upload_process(upload_id=queued.pk)
    assert seen == [1, 2, 3]


def test_it_stops_when_the_upload_is_cancelled_meanwhile(
    queued: Upload, monkeypatch: pytest.MonkeyPatch, deliver_emails: Any
) -> None:
    monkeypatch.setattr(processing, "CHUNK_SIZE", 1)
    real_progress = processing._progress_reporter

    def cancel_midway(upload_id: int, *args: Any) -> Any:
        report = real_progress(upload_id, *args)

        def progress(done: int) -> None:
            if done == 2:
                services.upload_cancel(upload_id=upload_id, by="admin@pars.test")
            report(done)

        return progress

    monkeypatch.setattr(processing, "_progress_reporter", cancel_midway)
    upload_process(upload_id=queued.pk)

    queued.refresh_from_db()
    assert queued.status == UploadStatus.CANCELLED
    assert CompletionRecord.objects.count() == 1
    assert not deliver_emails()


def test_it_fails_cleanly_on_an_unexpected_error(
    staff_client: Client,
    queued: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    deliver_emails: Any,
) -> None:
    with mock.patch.object(processing, "learner_rows_process", side_effect=RuntimeError("boom")):
        upload_process(upload_id=queued.pk)

    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "unexpected error" in queued.error_message
    assert "boom" not in queued.error_message  # internals stay in the event, for admins
    failed = queued.events.get(type=UploadEventType.FAILED)
    assert "boom" in failed.message
    assert deliver_emails()[0].subject == (
        f"Batch upload file could not be processed: {queued.original_name}"
    )
    page = staff_client.get(reverse("uploads:detail", args=[queued.pk])).content.decode()
    assert "COULD NOT BE PROCESSED" in page
    # The lock is released: the next file is taken.
    assert (
        post_upload(staff_client, good_and_bad_file + b"\r\n", name="next.txt").status_code == 303
    )


def test_it_fails_with_the_readers_reason_when_the_stored_file_is_unreadable(
    queued: Upload,
) -> None:
    with default_storage.open(queued.file.name, "wb") as handle:
        handle.write(b"no tabs at all\n")
    upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "not tab-delimited" in queued.error_message


def test_it_fails_when_the_stored_file_is_gone(queued: Upload) -> None:
    default_storage.delete(queued.file.name)
    upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED


def test_it_ignores_an_upload_that_no_longer_exists(db: None) -> None:
    upload_process(upload_id=424242)


def test_it_writes_the_rejected_rows_reports(queued: Upload) -> None:
    upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    with default_storage.open(queued.report_file.name) as handle:
        txt = handle.read().decode("utf-8-sig")
    with default_storage.open(queued.report_csv_file.name) as handle:
        csv = handle.read().decode("utf-8-sig")
    assert "Error Codes" in txt and "722" in txt and "Pollock" in txt
    assert "O'Keeffe" not in txt
    assert "Pollock" in csv


def test_it_writes_no_report_when_every_row_passes(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    lines = good_and_bad_file.split(b"\r\n")
    only_good = b"\r\n".join([lines[0], lines[1], lines[3]]) + b"\r\n"
    post_upload(staff_client, only_good)
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.processed_records, upload.rejected_records) == (2, 0)
    assert not upload.has_report
    assert staff_client.get(reverse("uploads:rejected_txt", args=[upload.pk])).status_code == 404


def test_it_dispatches_the_task_after_commit(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        post_upload(staff_client, good_and_bad_file)
    upload = latest_upload(provider)
    with mock.patch.object(process_upload, "delay") as delay:
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(upload.pk)


def test_it_keeps_the_upload_queued_when_the_broker_is_down(queued: Upload) -> None:
    with mock.patch.object(process_upload, "delay", side_effect=ConnectionError("no broker")):
        assert upload_send_to_worker(upload_id=queued.pk) is False
    queued.refresh_from_db()
    assert (queued.status, queued.dispatched_at) == (UploadStatus.QUEUED, None)
    assert UploadEventType.DISPATCH_FAILED in _types(queued)


def test_it_records_when_the_broker_took_the_upload(queued: Upload) -> None:
    with mock.patch.object(process_upload, "delay") as delay:
        assert upload_send_to_worker(upload_id=queued.pk) is True
    delay.assert_called_once_with(queued.pk)
    queued.refresh_from_db()
    assert queued.dispatched_at is not None


def test_it_makes_the_task_a_thin_late_acknowledged_interface(queued: Upload) -> None:
    assert process_upload.acks_late is True
    assert process_upload.reject_on_worker_lost is True
    process_upload(queued.pk)  # called directly, in this process
    queued.refresh_from_db()
    assert queued.status == UploadStatus.COMPLETED


def test_it_polls_until_final_then_stops(staff_client: Client, queued: Upload) -> None:
    url = reverse("uploads:status", args=[queued.pk])
    running = staff_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in running
    assert "YOU MAY LEAVE THIS PAGE WHILE IT&#x27;S PROCESSING" in running or (
        "YOU MAY LEAVE THIS PAGE WHILE IT'S PROCESSING" in running
    )
    upload_process(upload_id=queued.pk)
    done = staff_client.get(url).content.decode()
    assert "hx-trigger" not in done
    assert "HAS BEEN PROCESSED" in done


def test_it_answers_the_status_poll_in_few_queries(
    staff_client: Client, queued: Upload, django_assert_max_num_queries: Any
) -> None:
    url = reverse("uploads:status", args=[queued.pk])
    staff_client.get(url)
    with django_assert_max_num_queries(4):
        assert staff_client.get(url).status_code == 200
