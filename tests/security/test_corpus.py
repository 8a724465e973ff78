"""Every file of the bad-input corpus through the real upload screen and the real processing.

A refused file gets a 4xx with its message and leaves nothing behind; a file too heavy to read in
the request is taken, and its upload fails in the worker with the same words; an accepted file is
processed and yields exactly the manifest's accepted and rejected rows: no stored garbage, no
lost good row, and a rejected-rows report holding every rejected row.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from learners.formats import read_learner_file
from learners.models import CompletionRecord, RecordStatus
from learners.sandbox import PROVIDERS, seed_sandbox
from tests.corpus.build import FILES_DIR, GENERATED, corpus_bytes, manifest
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process

MANIFEST = manifest()
ENTRIES = MANIFEST["uploads"]
TODAY = date.fromisoformat(MANIFEST["today"])


def entry_id(entry: dict[str, Any]) -> str:
    return f"{entry['file']}-as-{entry['file_type']}-{entry['program']}"


def test_it_has_a_corpus_of_at_least_fifty_files_all_in_the_manifest() -> None:
    committed = {path.name for path in FILES_DIR.iterdir()}
    listed = {entry["file"] for entry in ENTRIES}

    assert len(committed | set(GENERATED)) >= 50
    assert committed | set(GENERATED) == listed
    assert {"refused", "failed", "rows"} == {entry["expect"]["outcome"] for entry in ENTRIES}


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 -06:00", tick=False):
        yield


@pytest.fixture
def demo_client(db: None, frozen_today: None, settings: Any, tmp_path: Path) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seed_sandbox(today=TODAY)
    client = Client()
    staff = next(spec for spec in PROVIDERS if spec.accme_id == MANIFEST["provider"])
    client.force_login(get_user_model().objects.get(username=staff.staff_email))
    return client


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def report_codes(upload: Upload) -> list[set[str]]:
    """The error codes of each row of the rejected-rows report."""
    with upload.report_file.open("rb") as stored:
        text = stored.read().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    column = lines[0].index("Error Codes")
    return [set(re.findall(r"\d{3}", line[column])) for line in lines[1:] if any(line)]


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_it_answers_each_corpus_file_as_the_manifest_says(
    demo_client: Client, entry: dict[str, Any], settings: Any
) -> None:
    data = corpus_bytes(entry["file"])
    expect = entry["expect"]

    response = demo_client.post(
        reverse("uploads:new"),
        {
            "file_type": entry["file_type"],
            "program": entry["program"],
            "mode": "submit",
            "file": SimpleUploadedFile(entry["file"], data),
        },
    )

    assert response.status_code < 500
    if expect["outcome"] == "refused":
        assert_refused(response, expect, Path(settings.MEDIA_ROOT))
    elif expect["outcome"] == "failed":
        assert_failed(response, expect)
    else:
        assert_processed(response, expect, data, entry)


def assert_refused(response: Any, expect: dict[str, Any], media: Path) -> None:
    page = html.unescape(response.content.decode())
    assert response.status_code == expect["status"], page[:2000]
    for words in expect["message"]:
        assert words in page, f"{words!r} not in the refusal page"
    assert Upload.objects.count() == 0
    assert CompletionRecord.objects.count() == 0
    assert stored_files(media) == []


def assert_failed(response: Any, expect: dict[str, Any]) -> None:
    """Taken at once (too heavy to read in the request), then failed by the worker, with words."""
    assert response.status_code == 303, html.unescape(response.content.decode())[:3000]
    upload = Upload.objects.get()
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    for words in expect["message"]:
        assert words in upload.error_message, upload.error_message
    assert CompletionRecord.objects.count() == 0
    assert not upload.report_file


def assert_processed(
    response: Any, expect: dict[str, Any], data: bytes, entry: dict[str, Any]
) -> None:
    assert response.status_code == 303, html.unescape(response.content.decode())[:3000]
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.QUEUED
    with upload.file.open("rb") as stored:
        assert stored.read() == data, "the stored file differs from the uploaded one"

    upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    counts = (upload.processed_records, upload.rejected_records)
    assert counts == (expect["accepted"], expect["rejected"]), report_text(upload)
    assert upload.total_records == expect["accepted"] + expect["rejected"]
    records = CompletionRecord.objects.all()
    assert records.count() == expect["accepted"]
    assert all(r.upload_id == upload.pk for r in records)
    assert all(r.status in (RecordStatus.ACCEPTED, RecordStatus.SUBMITTED) for r in records)
    for record in records:
        assert record.activity.provider_id == upload.provider_id
        assert record.activity.start_date <= record.completion_date <= TODAY
        if entry["program"] == "board":
            assert record.learner_id is not None, "a record without its learner"
    if expect["rejected"]:
        codes = report_codes(upload)
        assert len(codes) == expect["rejected"]
        assert all(codes), "a rejected row without an error code"
        for code in expect.get("codes", []):
            assert any(code in row for row in codes), f"{code} not in {codes}"
        assert_report_uploads_again(upload, entry)
    else:
        assert not upload.report_file


def assert_report_uploads_again(upload: Upload, entry: dict[str, Any]) -> None:
    """The rejected-rows report is itself a learner file: every rejected row reads back."""
    with upload.report_file.open("rb") as stored:
        rows = read_learner_file(stored.read(), file_type="txt", program=entry["program"])
    assert len(rows) == upload.rejected_records


def report_text(upload: Upload) -> str:
    if not upload.report_file:
        return "(no rejected rows)"
    with upload.report_file.open("rb") as stored:
        return stored.read().decode("utf-8-sig")[:3000]
