"""One upload at a time per provider: a database fact, so racing requests can't both pass."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from portal.models import Provider
from tests.concurrency import together
from tests.factories import MembershipFactory, UserFactory
from tests.uploads.conftest import PostUpload
from uploads import dispatch, services
from uploads.models import Upload, UploadStatus
from uploads.refusals import Refusal, UploadRefused
from uploads.services import IncomingFile, upload_create


def _row(provider: Provider, status: str, name: str = "a.txt") -> Upload:
    return Upload.objects.create(
        provider=provider,
        user=UserFactory(),
        original_name=name,
        size=1,
        sha256="0" * 64,
        file_type="txt",
        status=status,
    )


def test_it_lets_the_database_refuse_a_second_active_upload(provider: Provider) -> None:
    _row(provider, UploadStatus.QUEUED)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(provider, UploadStatus.PROCESSING)


@pytest.mark.parametrize(
    "status",
    [UploadStatus.PENDING, UploadStatus.COMPLETED, UploadStatus.FAILED, UploadStatus.CANCELLED],
)
def test_it_does_not_count_finished_or_unconfirmed_uploads_for_the_lock(
    provider: Provider, status: str
) -> None:
    _row(provider, status)
    _row(provider, UploadStatus.QUEUED)
    assert Upload.objects.active().count() == 1


def test_it_lets_two_providers_upload_at_the_same_time(
    provider: Provider, other_provider: Provider
) -> None:
    _row(provider, UploadStatus.PROCESSING)
    _row(other_provider, UploadStatus.PROCESSING)
    assert Upload.objects.active().count() == 2


def test_it_refuses_when_a_competing_upload_appears_between_check_and_insert(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    media: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    checked = services._check_before_reading

    def check_then_lose_the_race(**kwargs: Any) -> None:
        checked(**kwargs)
        _row(provider, UploadStatus.QUEUED, name="competitor.txt")

    monkeypatch.setattr(services, "_check_before_reading", check_then_lose_the_race)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_upload(staff_client, good_and_bad_file, name="mine.txt")

    assert response.status_code == 409
    assert "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS" in response.content.decode()
    assert list(Upload.objects.values_list("original_name", flat=True)) == ["competitor.txt"]
    assert not callbacks
    assert not [p for p in media.rglob("*") if p.is_file()]  # the stored file was removed


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_simultaneous_requests_through(
    provider: Provider, good_and_bad_file: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [MembershipFactory(provider=provider).user for _ in range(2)]
    barrier = threading.Barrier(2, timeout=20)
    checked = services._check_before_reading

    def check_together(**kwargs: Any) -> None:
        checked(**kwargs)
        barrier.wait()  # both requests have passed the early check: only the constraint is left

    monkeypatch.setattr(services, "_check_before_reading", check_together)
    outcomes: list[object] = []

    def request(user: Any, name: str, data: bytes) -> None:
        try:
            intake = upload_create(
                provider=provider,
                user=user,
                file_type="txt",
                program="board",
                mode="submit",
                incoming=IncomingFile.from_bytes(name, data),
            )
            outcomes.append(intake.upload.status)
        except UploadRefused as refusal:
            outcomes.append(refusal.refusal)
        finally:
            connection.close()

    with mock.patch.object(dispatch, "upload_send_to_worker"):
        threads = [
            # Different files, so that duplicate detection stays out of the way.
            threading.Thread(
                target=request, args=(user, f"file{i}.txt", good_and_bad_file + b"\r\n" * i)
            )
            for i, user in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(map(str, outcomes)) == sorted(
        [str(UploadStatus.QUEUED), str(Refusal.IN_PROGRESS)]
    )
    assert Upload.objects.filter(provider=provider).count() == 1


def test_it_answers_a_file_sent_twice_at_once_with_the_upload_the_first_made(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> None:
    """A double click on "Upload file": the second request finds the first one's upload queued."""
    first = post_upload(staff_client, good_and_bad_file)
    second = post_upload(staff_client, good_and_bad_file)

    (upload,) = Upload.objects.filter(provider=provider)
    assert upload.status == UploadStatus.QUEUED
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"] == f"/uploads/{upload.pk}/"


@pytest.mark.parametrize(
    "other",
    [
        {"name": "other.txt", "extra": b"\r\n"},  # other bytes
        {"name": "May_Learners.txt", "extra": b"", "mode": "check"},  # another choice
        {"name": "May_Learners.txt", "extra": b"", "colleague": True},  # another user
    ],
    ids=["other-file", "other-mode", "other-user"],
)
def test_it_still_refuses_another_submission_while_one_runs(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
    other: dict[str, Any],
) -> None:
    post_upload(staff_client, good_and_bad_file)
    client = staff_client
    if other.get("colleague"):
        client = Client()
        client.force_login(MembershipFactory(provider=provider).user)

    response = post_upload(
        client,
        good_and_bad_file + other["extra"],
        name=other["name"],
        mode=other.get("mode", "submit"),
    )

    assert response.status_code == 409
    assert "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS" in response.content.decode()
    assert Upload.objects.filter(provider=provider).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("late_duplicate_check", [False, True], ids=["together", "one-stored"])
def test_it_answers_two_simultaneous_sends_of_one_submission_with_one_upload(
    provider: Provider,
    good_and_bad_file: bytes,
    monkeypatch: pytest.MonkeyPatch,
    late_duplicate_check: bool,
) -> None:
    user = MembershipFactory(provider=provider).user
    barrier = threading.Barrier(2, timeout=20)
    checked = services._check_before_reading

    def check_together(**kwargs: Any) -> None:
        checked(**kwargs)
        barrier.wait()  # both passed the early check

    monkeypatch.setattr(services, "_check_before_reading", check_together)
    if late_duplicate_check:
        # The second looks for duplicates only once the first is stored: its own file is there.
        found = services.upload_find_duplicate
        first_in = threading.Lock()

        def find_after_the_first(**kwargs: Any) -> Upload | None:
            if first_in.acquire(blocking=False):  # the first request looks at once
                return found(**kwargs)
            deadline = time.monotonic() + 20
            while not Upload.objects.filter(provider=provider).exists():
                assert time.monotonic() < deadline, "the first request stored no upload"
                time.sleep(0.01)
            return found(**kwargs)

        monkeypatch.setattr(services, "upload_find_duplicate", find_after_the_first)

    def send() -> object:
        try:
            return upload_create(
                provider=provider, user=user, file_type="txt", program="board", mode="submit",
                incoming=IncomingFile.from_bytes("May.txt", good_and_bad_file),
            ).upload.pk  # fmt: skip
        except UploadRefused as refusal:
            return refusal.refusal

    with mock.patch.object(dispatch, "upload_send_to_worker"):
        uploads = together([send, send])

    (upload,) = Upload.objects.filter(provider=provider)
    assert uploads == [upload.pk, upload.pk]
