"""Periodic jobs: dead runs, unsent and lost uploads recovered (or given up) within seconds;
stored files removed after 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery.signals import worker_ready
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.celery import app
from portal.models import Provider
from tests.factories import UserFactory
from tests.uploads.conftest import PostUpload, latest_upload
from tests.worker import wait_for
from uploads.models import Upload, UploadEventType, UploadStatus
from uploads.processing import Heartbeat, upload_process
from uploads.recovery import Recovery, upload_files_remove_expired, uploads_recover_stuck
from uploads.schedule import UPLOAD_BEAT_SCHEDULE
from uploads.tasks import recover_stuck_uploads, remove_expired_upload_files

STALE = timedelta(seconds=31)


@pytest.fixture
def queued(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    assert post_upload(staff_client, good_and_bad_file).status_code == 303
    return latest_upload(provider)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sends to the broker, recorded instead of made (the broker takes them)."""
    calls: list[int] = []

    def send(*, upload_id: int) -> bool:
        calls.append(upload_id)
        Upload.objects.filter(pk=upload_id).update(dispatched_at=timezone.now())
        return True

    monkeypatch.setattr("uploads.recovery.upload_send_to_worker", send)
    return calls


def _stall(upload: Upload, *, attempts: int = 1, task_id: str = "task-1") -> None:
    """As if a worker claimed the upload and died."""
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.PROCESSING,
        attempts=attempts,
        heartbeat_at=timezone.now(),
        started_at=timezone.now(),
        task_id=task_id,
    )


def _types(upload: Upload) -> list[str]:
    return list(upload.events.values_list("type", flat=True))


def test_it_requeues_an_upload_whose_worker_stopped_beating(
    queued: Upload, django_capture_on_commit_callbacks: Any
) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + STALE):
        with django_capture_on_commit_callbacks() as callbacks:
            recovery = uploads_recover_stuck()
        assert recovery.requeued == 1
        assert len(callbacks) == 1, "sent to a worker once the requeue is committed"
        queued.refresh_from_db()
        assert queued.status == UploadStatus.QUEUED
        assert (queued.dispatched_at, queued.task_id) == (None, "")
        assert UploadEventType.REQUEUED in _types(queued)
        assert "attempt 2 of 3" in queued.events.get(type=UploadEventType.REQUEUED).message
        upload_process(upload_id=queued.pk, task_id="task-2")
    queued.refresh_from_db()
    assert queued.status == UploadStatus.COMPLETED
    assert queued.attempts == 2


def test_it_leaves_a_run_that_still_beats_alone(queued: Upload) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        assert uploads_recover_stuck().requeued == 0
    queued.refresh_from_db()
    assert queued.status == UploadStatus.PROCESSING


def test_a_redelivery_of_the_claiming_task_takes_its_claim_over_at_once(queued: Upload) -> None:
    _stall(queued, task_id="task-1")

    upload_process(upload_id=queued.pk, task_id="task-2")  # another task: the run still beats
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (UploadStatus.PROCESSING, 1)

    upload_process(upload_id=queued.pk, task_id="task-1")  # its own redelivery
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (UploadStatus.COMPLETED, 2)


def test_it_gives_up_after_the_last_attempt_and_releases_the_lock(
    staff_client: Client,
    queued: Upload,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    deliver_emails: Any,
) -> None:
    _stall(queued, attempts=3)
    with time_machine.travel(timezone.now() + STALE):
        assert uploads_recover_stuck().failed == 1
        # A message delivered later can't take it over either.
        upload_process(upload_id=queued.pk, task_id="task-9")
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "processing stopped 3 times" in queued.error_message
    [email] = deliver_emails()
    assert email.subject == f"Batch upload file could not be processed: {queued.original_name}"
    assert post_upload(staff_client, good_and_bad_file + b"\r\n", name="n.txt").status_code == 303


def test_it_sends_an_upload_the_broker_could_not_take(queued: Upload, sent: list[int]) -> None:
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=None)

    assert uploads_recover_stuck().redispatched == 0, "its own send may still be under way"
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert uploads_recover_stuck().redispatched == 1
        assert uploads_recover_stuck().redispatched == 0, "sent: not again"
    assert sent == [queued.pk]
    queued.refresh_from_db()
    assert queued.status == UploadStatus.QUEUED
    assert queued.attempts == 0, "a send is not an attempt"
    assert UploadEventType.REDISPATCHED in _types(queued)


def test_it_keeps_trying_while_the_broker_is_still_down(
    queued: Upload, monkeypatch: pytest.MonkeyPatch
) -> None:
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=None)
    monkeypatch.setattr("uploads.recovery.upload_send_to_worker", lambda **_: False)
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert uploads_recover_stuck().redispatched == 0
    queued.refresh_from_db()
    assert (queued.status, queued.dispatched_at) == (UploadStatus.QUEUED, None)


def test_it_sends_again_an_upload_no_idle_worker_took(queued: Upload, sent: list[int]) -> None:
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        assert uploads_recover_stuck().redispatched == 0
    with time_machine.travel(timezone.now() + STALE):
        assert uploads_recover_stuck().redispatched == 1
    assert sent == [queued.pk]


def _running_elsewhere(other_provider: Provider, *, dispatched_at: Any, started_at: Any) -> Upload:
    other = Upload.objects.create(
        provider=other_provider,
        user=UserFactory(),
        original_name="other.txt",
        size=1,
        sha256="f" * 64,
        file_type="txt",
        status=UploadStatus.PROCESSING,
        attempts=1,
        dispatched_at=dispatched_at,
        started_at=started_at,
        heartbeat_at=started_at,
    )
    return other


def test_it_waits_longer_while_workers_are_busy(
    queued: Upload, other_provider: Provider, sent: list[int]
) -> None:
    now = timezone.now()
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=now)
    other = _running_elsewhere(other_provider, dispatched_at=now - STALE, started_at=now)
    with time_machine.travel(now + timedelta(minutes=2)):
        Upload.objects.filter(pk=other.pk).update(heartbeat_at=timezone.now())
        assert uploads_recover_stuck().redispatched == 0, "busy: its turn may come"
    with time_machine.travel(now + timedelta(minutes=11)):
        Upload.objects.filter(pk=other.pk).update(heartbeat_at=timezone.now())
        assert uploads_recover_stuck().redispatched == 1, "busy for too long: sent again"
    assert sent == [queued.pk]


def test_it_sends_again_an_upload_overtaken_by_a_later_one(
    queued: Upload, other_provider: Provider, sent: list[int]
) -> None:
    """A queue delivers in order: a later upload started, so this one's message was lost."""
    now = timezone.now()
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=now)
    other = _running_elsewhere(
        other_provider,
        dispatched_at=now + timedelta(seconds=1),
        started_at=now + timedelta(seconds=2),
    )
    with time_machine.travel(now + timedelta(minutes=1)):
        Upload.objects.filter(pk=other.pk).update(heartbeat_at=timezone.now())
        assert uploads_recover_stuck().redispatched == 1
    assert sent == [queued.pk]


def test_it_gives_up_on_an_upload_no_worker_took_for_a_day(
    queued: Upload, sent: list[int], deliver_emails: Any
) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert uploads_recover_stuck().failed == 1
    queued.refresh_from_db()
    assert queued.status == UploadStatus.FAILED
    assert "No worker took this file for processing within 24 hours" in queued.error_message
    assert len(deliver_emails()) == 1


def test_a_sweep_with_nothing_to_do_costs_a_few_indexed_queries(
    queued: Upload, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        assert uploads_recover_stuck() == Recovery()


def test_it_runs_recovery_from_the_periodic_task(queued: Upload) -> None:
    _stall(queued)
    with time_machine.travel(timezone.now() + STALE):
        assert recover_stuck_uploads() == {"requeued": 1, "redispatched": 0, "failed": 0}


def test_it_schedules_the_periodic_tasks_by_their_registered_names() -> None:
    app.loader.import_default_modules()
    for entry in UPLOAD_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    sweep = UPLOAD_BEAT_SCHEDULE["uploads-recover-stuck"]
    assert sweep["schedule"] <= 15, "a dead run is found within seconds"
    assert sweep["options"] == {"expires": sweep["schedule"]}


def test_a_worker_that_starts_sweeps_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    sends: list[Any] = []
    monkeypatch.setattr("uploads.tasks.task_send", lambda task, *args: sends.append(task))
    worker_ready.send(sender=None)
    assert sends == [recover_stuck_uploads]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_from_its_own_thread_until_the_run_loses_the_upload(
    provider: Provider, settings: Any
) -> None:
    settings.UPLOAD_HEARTBEAT_SECONDS = 0.05
    upload = _running_elsewhere(provider, dispatched_at=None, started_at=timezone.now() - STALE)
    heartbeat = Heartbeat(upload.pk, 1)
    heartbeat.start()
    try:
        assert wait_for(lambda: _beat_at(upload) > timezone.now() - timedelta(seconds=5))
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.CANCELLED)
        assert heartbeat.lost.wait(timeout=5), "a cancelled upload stops the run"
    finally:
        heartbeat.stop()


def _beat_at(upload: Upload) -> Any:
    return Upload.objects.values_list("heartbeat_at", flat=True).get(pk=upload.pk)


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
