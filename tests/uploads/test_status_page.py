"""The upload's page says honestly what is happening: queued (for how long), waiting for the
task queue, no worker for a minute, processing, retrying, stopped responding; never "up to 10
minutes" when it is stuck; and every time with its time zone."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Provider
from tests.uploads.conftest import PostUpload, latest_upload
from uploads.models import Upload, UploadStatus
from uploads.status import Phase, duration, upload_situation


@pytest.fixture
def queued(
    staff_client: Client, provider: Provider, post_upload: PostUpload, good_and_bad_file: bytes
) -> Upload:
    assert post_upload(staff_client, good_and_bad_file, name="May_Learners.txt").status_code == 303
    upload = latest_upload(provider)
    Upload.objects.filter(pk=upload.pk).update(dispatched_at=timezone.now())
    upload.refresh_from_db()
    return upload


def page(client: Client, upload: Upload, *, after: timedelta = timedelta()) -> str:
    with time_machine.travel(timezone.now() + after):
        detail = client.get(reverse("uploads:detail", args=[upload.pk]))
        fragment = client.get(reverse("uploads:status", args=[upload.pk]))
    assert detail.status_code == fragment.status_code == 200
    text = without_csrf_tokens(fragment.content.decode())
    assert text.strip() in without_csrf_tokens(detail.content.decode()), "page and poll agree"
    return text


def without_csrf_tokens(html: str) -> str:
    """Each render masks the CSRF token anew; the rest must be the same."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def processing(upload: Upload, *, attempts: int = 1, beat_ago: timedelta = timedelta()) -> None:
    now = timezone.now()
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.PROCESSING,
        attempts=attempts,
        started_at=now - timedelta(seconds=2),
        heartbeat_at=now - beat_ago,
        progress_records=1,
    )


def test_it_says_queued_and_for_how_long(staff_client: Client, queued: Upload) -> None:
    text = page(staff_client, queued, after=timedelta(seconds=12))
    assert "YOUR FILE (MAY_LEARNERS.TXT) IS QUEUED FOR PROCESSING." in text
    assert "In the queue for 12 s." in text
    assert "Waiting for a worker" not in text
    assert "UP TO 10 MINUTES" not in text
    assert "Cancel this upload" in text


def test_it_says_plainly_when_nothing_has_picked_the_file_up_for_a_minute(
    staff_client: Client, queued: Upload
) -> None:
    text = page(staff_client, queued, after=timedelta(seconds=65))
    assert "IS QUEUED, BUT PROCESSING HAS NOT STARTED." in text
    assert "Nothing has picked this file up in the 1 min 05 s it has been queued" in text
    assert "UP TO 10 MINUTES" not in text
    assert "Cancel this upload" in text


def test_it_says_when_the_task_queue_could_not_be_reached(
    staff_client: Client, queued: Upload
) -> None:
    Upload.objects.filter(pk=queued.pk).update(dispatched_at=None)
    text = page(staff_client, queued, after=timedelta(minutes=3))
    assert "IS SAFELY STORED, BUT CAN'T BE SENT FOR PROCESSING RIGHT NOW." in text
    assert "you don't need to upload it again. Waiting for 3 min 00 s." in text
    assert "UP TO 10 MINUTES" not in text


def test_it_shows_progress_while_processing(staff_client: Client, queued: Upload) -> None:
    processing(queued)
    text = page(staff_client, queued)
    assert "YOUR FILE (MAY_LEARNERS.TXT) IS PROCESSING. THIS MAY TAKE UP TO 10 MINUTES." in text
    assert "1 of 3 records checked" in text
    assert 'hx-trigger="every 1s"' in text
    assert "Cancel this upload" not in text


def test_it_says_when_it_is_retrying(staff_client: Client, queued: Upload) -> None:
    processing(queued, attempts=2)
    text = page(staff_client, queued)
    assert "IS PROCESSING AGAIN (ATTEMPT 2 OF 3)." in text
    assert "records already stored are not stored twice" in text


def test_it_says_when_the_worker_stopped_responding(staff_client: Client, queued: Upload) -> None:
    processing(queued, beat_ago=timedelta(seconds=45))
    text = page(staff_client, queued)
    assert "HAS STOPPED RESPONDING." in text
    assert "No sign of progress for 45 s. It is restarted automatically within a minute" in text
    assert "(attempt 2 of 3)" in text
    assert "UP TO 10 MINUTES" not in text


def test_it_says_when_the_last_attempt_stopped_responding(
    staff_client: Client, queued: Upload
) -> None:
    processing(queued, attempts=3, beat_ago=timedelta(seconds=45))
    assert "This was the last attempt" in page(staff_client, queued)


def test_it_says_queued_again_for_the_next_attempt(staff_client: Client, queued: Upload) -> None:
    Upload.objects.filter(pk=queued.pk).update(attempts=1)
    text = page(staff_client, queued, after=timedelta(seconds=3))
    assert "for attempt 2 of 3: the previous attempt stopped before it finished" in text


def test_every_time_on_the_upload_pages_carries_its_time_zone(
    staff_client: Client, queued: Upload, settings: Any
) -> None:
    settings.TIME_ZONE = "America/Chicago"
    texts = [
        page(staff_client, queued),
        staff_client.get(reverse("uploads:history")).content.decode(),
    ]
    for text in texts:
        times = re.findall(r"\d\d:\d\d [AP]M(?: [A-Z]{3})?", text)
        assert times, "a time is shown"
        assert all(re.fullmatch(r"\d\d:\d\d [AP]M C[SD]T", t) for t in times), times


def test_the_situation_follows_the_upload_to_its_end(queued: Upload) -> None:
    now = timezone.now()
    assert upload_situation(queued, now=now).phase == Phase.QUEUED  # type: ignore[union-attr]
    Upload.objects.filter(pk=queued.pk).update(status=UploadStatus.COMPLETED)
    queued.refresh_from_db()
    assert upload_situation(queued, now=now) is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min 00 s"), (605, "10 min 05 s"), (7380, "2 h 03 min")],
)
def test_it_says_durations_as_people_do(seconds: int, words: str) -> None:
    assert duration(timedelta(seconds=seconds)) == words
