"""Uploads and reports stored in S3-compatible storage (django-storages) against moto's server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from learners.models import CompletionRecord
from learners.sandbox import PROVIDERS, seed_sandbox
from portal.models import Provider
from tests.corpus.makers import cme_row, good_rows, txt
from uploads.models import Upload, UploadStatus
from uploads.processing import upload_process
from uploads.services import IncomingFile, upload_create

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh bucket made the default storage, as STORAGE_BACKEND=s3 configures it."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    name = f"pars-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
            },
        },
    }
    bucket = boto3.resource(
        "s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS
    ).Bucket(name)
    return bucket


def test_it_stores_and_reads_back_a_file_in_s3(s3_bucket: Any) -> None:
    data = "Add\t210015516\tMuñoz\r\n".encode() * 100

    name = default_storage.save("uploads/0001234/learners.txt", ContentFile(data))

    assert type(default_storage._wrapped).__name__ == "S3Storage"
    assert [o.key for o in s3_bucket.objects.all()] == [name]
    assert s3_bucket.Object(name).get()["Body"].read() == data
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == data
    assert default_storage.size(name) == len(data)
    assert "Signature" in default_storage.url(name) or "X-Amz-Signature" in default_storage.url(
        name
    )


def test_it_never_overwrites_a_stored_file(s3_bucket: Any) -> None:
    first = default_storage.save("reports/0001234/same.txt", ContentFile(b"first"))
    second = default_storage.save("reports/0001234/same.txt", ContentFile(b"second"))

    assert first != second
    assert default_storage.open(first).read() == b"first"
    assert default_storage.open(second).read() == b"second"


def test_it_deletes_a_stored_file(s3_bucket: Any) -> None:
    name = default_storage.save("uploads/0001234/gone.txt", ContentFile(b"x"))

    default_storage.delete(name)

    assert not default_storage.exists(name)
    assert list(s3_bucket.objects.all()) == []


@pytest.mark.django_db
@time_machine.travel("2026-11-22 10:00 -06:00", tick=False)
def test_it_stores_processes_and_reports_a_real_upload_through_s3(s3_bucket: Any) -> None:
    seed_sandbox(today=date(2026, 11, 22))
    provider = Provider.objects.get(accme_id="0001234")
    user = get_user_model().objects.get(username=PROVIDERS[0].staff_email)
    bad = cme_row(("Nobody", "Known", "01/01", "IL", "000000000"), "06/20/2025")
    data = txt([*good_rows(2), bad])

    intake = upload_create(
        provider=provider,
        user=user,
        file_type="txt",
        program="board",
        mode="submit",
        incoming=IncomingFile.from_bytes("learners.txt", data),
    )
    upload = intake.upload

    assert upload.file.name.startswith("uploads/0001234/")
    assert s3_bucket.Object(upload.file.name).get()["Body"].read() == data
    with upload.file.open("rb") as stored:
        assert stored.read() == data

    upload_process(upload_id=upload.pk)

    upload = Upload.objects.get(pk=upload.pk)
    assert upload.status == UploadStatus.COMPLETED, upload.error_message
    assert (upload.processed_records, upload.rejected_records) == (2, 1)
    assert CompletionRecord.objects.filter(upload=upload).count() == 2
    keys = {o.key for o in s3_bucket.objects.all()}
    assert {upload.file.name, upload.report_file.name, upload.report_csv_file.name} <= keys
    client = Client()
    client.force_login(user)
    response = client.get(reverse("uploads:rejected_txt", args=[upload.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    report = content.decode("utf-8-sig")
    assert "Nobody" in report and "718" in report
