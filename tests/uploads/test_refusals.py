"""Immediate refusals: a clear message on the same page, a 4xx, and nothing stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.formats.templates import text_template
from portal.models import Provider
from tests.factories import UserFactory
from tests.uploads.conftest import Physician, PostUpload, cme_row, txt_file
from uploads.models import Upload, UploadStatus

NOT_FORMATTED = (
    "THE FILE IS NOT FORMATTED CORRECTLY. PLEASE USE THE FORMAT PROVIDED IN THIS TEMPLATE."
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def _nothing_stored(media: Path) -> bool:
    files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    return not Upload.objects.exists() and not files


def _refused(response: Any, status: int, *messages: str) -> str:
    assert response.status_code == status
    page = response.content.decode()
    for message in messages:
        assert message in page
    assert 'role="alert"' in page
    return page


@pytest.mark.parametrize(
    ("file_type", "name", "message"),
    [
        (
            "xml",
            "May_Learners.txt",
            "THE FILE SELECTED IS NOT A .XML FILE. PLEASE UPLOAD A .XML FILE.",
        ),
        (
            "txt",
            "May_Learners.xml",
            "THE FILE SELECTED IS NOT A .TXT FILE. PLEASE UPLOAD A .TXT FILE.",
        ),
        (
            "xlsx",
            "May_Learners.xls",
            "THE FILE SELECTED IS NOT A .XLSX FILE. PLEASE UPLOAD A .XLSX FILE.",
        ),
        ("txt", "no_extension", "THE FILE SELECTED IS NOT A .TXT FILE. PLEASE UPLOAD A .TXT FILE."),
        (
            "csv",
            "May_Learners.txt",
            "THE FILE SELECTED IS NOT A .CSV FILE. PLEASE UPLOAD A .CSV FILE.",
        ),
        (
            "txt",
            "May_Learners.csv",
            "THE FILE SELECTED IS NOT A .TXT FILE. PLEASE UPLOAD A .TXT FILE.",
        ),
    ],
)
def test_it_refuses_a_wrong_extension(
    staff_client: Client,
    post_upload: PostUpload,
    media: Path,
    good_and_bad_file: bytes,
    file_type: str,
    name: str,
    message: str,
) -> None:
    response = post_upload(staff_client, good_and_bad_file, name=name, file_type=file_type)
    _refused(response, 400, message)
    assert _nothing_stored(media)


@pytest.mark.parametrize(
    ("file_type", "name", "data", "what"),
    [
        ("txt", "photo.txt", PNG, "a PNG image"),
        ("txt", "blob.txt", b"abc\x00\x01\x02\tdef" * 20, "binary data"),
        ("txt", "report.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        ("csv", "photo.csv", PNG, "a PNG image"),
        ("csv", "sheet.csv", b"PK\x03\x04" + bytes(40), "a ZIP archive"),
        ("xml", "learners.xml", b"Add\t210015516\t07/06/2025\n", "plain text, not XML"),
        ("xml", "photo.xml", PNG, "a PNG image"),
        ("xlsx", "notes.xlsx", b"First Name\tLast Name\n", "text, not an Excel workbook"),
        ("xlsx", "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "older Office file"),
        ("xlsx", "broken.xlsx", b"PK\x03\x04" + bytes(40), "damaged ZIP"),
    ],
)
def test_it_refuses_content_that_is_not_what_the_extension_claims(
    staff_client: Client,
    post_upload: PostUpload,
    media: Path,
    file_type: str,
    name: str,
    data: bytes,
    what: str,
) -> None:
    response = post_upload(staff_client, data, name=name, file_type=file_type)
    ext = file_type.upper()
    _refused(
        response, 400, f"THE FILE SELECTED IS NOT A .{ext} FILE. PLEASE UPLOAD A .{ext} FILE.", what
    )
    assert _nothing_stored(media)


def test_it_refuses_a_zip_that_is_not_a_workbook(
    staff_client: Client, post_upload: PostUpload, media: Path
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("learners.txt", "Add\t210015516\n")
    response = post_upload(staff_client, buffer.getvalue(), name="learners.xlsx", file_type="xlsx")
    _refused(response, 400, "NOT A .XLSX FILE", "a ZIP archive that is not an Excel workbook")
    assert _nothing_stored(media)


@pytest.mark.parametrize(
    ("file_type", "name", "data", "reason"),
    [
        ("txt", "words.txt", b"just some words\nwithout tabs\n", "not tab-delimited"),
        (
            "txt",
            "commas.txt",
            b"Record Action,ACCME Activity ID\nAdd,210015516\n",
            "(.csv) file type",
        ),
        ("csv", "words.csv", b"just some words\nwithout commas\n", "not comma-separated"),
        ("csv", "europe.csv", b"Record Action;ACCME Activity ID\nAdd;210015516\n", "semicolons"),
        ("csv", "blank.csv", b"\r\n\r\n", "no learner records"),
        ("txt", "blank.txt", b"\r\n\r\n", "no learner records"),
        # The portal's own templates sent back unfilled.
        ("txt", "board.txt", text_template("board", file_type="txt"), "no learner records"),
        ("csv", "board.csv", text_template("board", file_type="csv"), "no learner records"),
        ("xml", "broken.xml", b"<accme:ACCMELearnerReports><a></b>", "not well-formed XML"),
        ("xml", "other.xml", b"<?xml version='1.0'?><root/>", "&lt;root&gt;"),
        (
            "xml",
            "xxe.xml",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "",
        ),
    ],
)
def test_it_refuses_a_file_it_cannot_read_with_the_readers_reason(
    staff_client: Client,
    post_upload: PostUpload,
    media: Path,
    file_type: str,
    name: str,
    data: bytes,
    reason: str,
) -> None:
    response = post_upload(staff_client, data, name=name, file_type=file_type)
    page = _refused(response, 400, NOT_FORMATTED, reason)
    assert "root:" not in page  # no local file leaked through an entity
    assert _nothing_stored(media)


def test_it_refuses_more_than_2500_records(
    staff_client: Client,
    post_upload: PostUpload,
    media: Path,
    activity: Activity,
    physicians: list[Physician],
) -> None:
    data = txt_file([cme_row(activity, physicians[0])] * 2501)
    response = post_upload(staff_client, data, name="big.txt")
    _refused(response, 400, "BATCH UPLOADS MAY NOT EXCEED 2,500 RECORDS.")
    assert _nothing_stored(media)


def test_it_refuses_a_file_over_the_size_cap_with_413(
    staff_client: Client,
    post_upload: PostUpload,
    media: Path,
    settings: Any,
    good_and_bad_file: bytes,
) -> None:
    settings.UPLOAD_MAX_BYTES = 100
    response = post_upload(staff_client, good_and_bad_file, name="May_Learners.txt")
    _refused(response, 413, "THE FILE IS TOO LARGE")
    assert _nothing_stored(media)


def test_it_refuses_rems_for_a_provider_outside_rems(
    outsider_client: Client, post_upload: PostUpload, media: Path, good_and_bad_file: bytes
) -> None:
    page = outsider_client.get(reverse("uploads:new")).content.decode()
    assert 'value="rems" disabled aria-describedby="rems-unavailable"' in page
    assert "does not take part in the Opioid Analgesic REMS program" in page

    response = post_upload(outsider_client, good_and_bad_file, program="rems")
    _refused(response, 400, "DOES NOT TAKE PART IN THE OPIOID ANALGESIC REMS PROGRAM")
    assert _nothing_stored(media)


def test_it_offers_rems_to_a_rems_provider(staff_client: Client) -> None:
    page = staff_client.get(reverse("uploads:new")).content.decode()
    assert 'value="rems" disabled' not in page
    assert "Submit Learners for Opioid Analgesic REMS" in page


def test_it_refuses_an_upload_while_another_is_in_progress(
    staff_client: Client,
    provider: Provider,
    post_upload: PostUpload,
    good_and_bad_file: bytes,
) -> None:
    running = Upload.objects.create(
        provider=provider,
        user=UserFactory(),
        original_name="first.txt",
        size=10,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.PROCESSING,
    )
    response = post_upload(staff_client, good_and_bad_file, name="second.txt")
    _refused(
        response,
        409,
        "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS. PLEASE WAIT UNTIL IT HAS PROCESSED.",
        reverse("uploads:detail", args=[running.pk]),
    )
    assert list(Upload.objects.values_list("pk", flat=True)) == [running.pk]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"program": "board", "mode": "submit"}, "PLEASE SELECT A FILE TYPE"),
        ({"file_type": "txt", "mode": "submit"}, "PLEASE SELECT A SUBMISSION TYPE"),
        ({"file_type": "txt", "program": "board"}, "PLEASE CHOOSE A FILE TO UPLOAD"),
        ({"file_type": "pdf", "program": "board"}, "Select a valid choice"),
    ],
)
def test_it_refuses_an_incomplete_form(
    staff_client: Client, media: Path, fields: dict[str, str], message: str
) -> None:
    response = staff_client.post(reverse("uploads:new"), fields)
    _refused(response, 400, message)
    assert _nothing_stored(media)


def test_it_refuses_an_empty_file(
    staff_client: Client, post_upload: PostUpload, media: Path
) -> None:
    response = post_upload(staff_client, b"", name="empty.txt")
    _refused(response, 400, "THE FILE SELECTED IS EMPTY")
    assert _nothing_stored(media)


def test_it_keeps_the_choices_after_a_refusal(
    staff_client: Client, post_upload: PostUpload
) -> None:
    response = post_upload(staff_client, PNG, name="photo.xml", file_type="xml", program="rems")
    page = response.content.decode()
    assert 'value="xml" required checked' in page
    assert 'value="rems" checked' in page
