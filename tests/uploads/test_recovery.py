"""Periodic jobs: stalled uploads recovered (or given up), stored files removed after 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.celery import app
from portal.models import Provider
from tests.factories import UserFactory
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import Upload, UploadEventType, UploadStatus
from uploads.processing import upload_files_remove_expired, upload_process, uploads_recover_stuck
from uploads.schedule import UPLOAD_BEAT_SCHEDULE
from uploads.tasks import recover_stuck_uploads, remove_expired_upload_files

LATER = timedelta(minutes=16)


@pytest.fixture
def queued(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    assert post_upload(staff_client, good_and_bad_file).status_code == 303
    return latest_upload(provider)


def _stall(upload: Upload, *, attempts: int = 1) -> None:
    """As if a worker claimed the upload and died."""
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.PROCESSING, attempts=attempts, heartbeat_at=timezone.now()
    )


def test_it_requeues_an_upload_whose_worker_went_quiet(
    queued: Upload, django_capture_on_commit_callbacks: Any
) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + LATER):
        with django_capture_on_commit_callbacks() as callbacks:
            recovery = uploads_recover_stuck()
        assert recovery.requeued == 1
        assert len(callbacks) == 1
        queued.refresh_from_db()
        assert queued.status == UploadStatus.QUEUED
        assert UploadEventType.REQUEUED in queued.events.values_list("type", flat=True)
        upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.COMPLETED
    assert queued.attempts == 2


def test_it_leaves_a_live_upload_alone(queued: Upload) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert uploads_recover_stuck().requeued == 0
    queued.refresh_from_db()
    assert queued.status == UploadStatus.PROCESSING


def test_it_gives_up_after_the_last_attempt_and_releases_the_lock(
    staff_client: Client,
    queued: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    mailoutbox: list[Any],
) -> None:
    _stall(queued, attempts=3)
    with time_machine.travel(timezone.now() + LATER):
        assert uploads_recover_stuck().failed == 1
        # A redelivered message can't take it over either.
        upload_process(upload_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "after 3 attempts" in queued.error_message
    assert mailoutbox[0].subject == "Batch upload file could not be processed"
    assert post_upload(staff_client, good_and_bad_file + b"\r\n", name="n.txt").status_code == 303


def test_it_dispatches_again_an_upload_no_worker_took(
    queued: Upload, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(timezone.now() + LATER):
        with django_capture_on_commit_callbacks() as callbacks:
            assert uploads_recover_stuck().redispatched == 1
        assert len(callbacks) == 1
        # Just dispatched: not again on the next round.
        assert uploads_recover_stuck().redispatched == 0
    queued.refresh_from_db()
    assert queued.status == UploadStatus.QUEUED
    assert queued.attempts == 1
    assert UploadEventType.REDISPATCHED in queued.events.values_list("type", flat=True)


def test_it_gives_up_on_an_upload_no_worker_ever_took(queued: Upload) -> None:
    Upload.objects.filter(pk=queued.pk).update(attempts=3)
    with time_machine.travel(timezone.now() + LATER):
        assert uploads_recover_stuck().failed == 1
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "no worker took it" in queued.error_message


def test_it_runs_recovery_from_the_periodic_task(queued: Upload) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + LATER):
        assert recover_stuck_uploads() == {"requeued": 1, "redispatched": 0, "failed": 0}


def test_it_schedules_the_periodic_tasks_by_their_registered_names() -> None:
    app.loader.import_default_modules()
    for entry in UPLOAD_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def _stored_upload(provider: Provider, **fields: Any) -> Upload:
    upload = Upload(
        provider=provider,
        user=UserFactory(),
        original_name="old.txt",
        size=3,
        sha256="b" * 64,
        file_type="txt",
        status=UploadStatus.COMPLETED,
        **fields,
    )
    upload.file.save("old.txt", ContentFile(b"abc"), save=False)
    upload.report_file.save("old-rejected.txt", ContentFile(b"r"), save=False)
    upload.report_csv_file.save("old-rejected.csv", ContentFile(b"r"), save=False)
    upload.save()
    return upload


def test_it_removes_stored_files_after_30_days(provider: Provider) -> None:
    start = timezone.now()
    with time_machine.travel(start):
        upload = _stored_upload(provider)
    names = [upload.file.name, upload.report_file.name, upload.report_csv_file.name]

    with time_machine.travel(start + timedelta(days=29)):
        assert upload_files_remove_expired() == 0
    assert all(default_storage.exists(name) for name in names)

    with time_machine.travel(start + timedelta(days=30, minutes=1)):
        assert remove_expired_upload_files() == 1
        assert upload_files_remove_expired() == 0  # once
    upload.refresh_from_db()
    assert upload.files_removed_at is not None
    assert not upload.has_report
    assert not any(default_storage.exists(name) for name in names)
    event = upload.events.get(type=UploadEventType.FILES_REMOVED)
    assert sorted(event.data["names"]) == sorted(names)


def test_it_keeps_the_files_of_a_running_upload(provider: Provider) -> None:
    start = timezone.now()
    with time_machine.travel(start):
        upload = _stored_upload(provider)
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.PROCESSING)
    with time_machine.travel(start + timedelta(days=31)):
        assert upload_files_remove_expired() == 0
    assert default_storage.exists(upload.file.name)


def test_it_drops_a_duplicate_nobody_answered(
    provider: Provider, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    with time_machine.travel(start):
        upload = _stored_upload(provider)
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.PENDING)
    with (
        time_machine.travel(start + timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        upload_files_remove_expired()
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not default_storage.exists(upload.file.name)


def test_it_no_longer_offers_removed_reports(staff_client: Client, provider: Provider) -> None:
    upload = _stored_upload(provider)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        upload_files_remove_expired()
    assert staff_client.get(reverse("uploads:rejected_txt", args=[upload.pk])).status_code == 404
