"""A file over the byte cap is refused with 413 while it is still arriving: the rest of the
body is never read, and nothing of it is stored or left in a temporary file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from uploads.models import Upload

TWELVE_MB = 12 * 1024 * 1024


class CountingInput(io.BytesIO):
    """A request body that remembers how much of it the server read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.consumed += len(line)
        return line


def _post_through_wsgi(client: Client, body: bytes) -> tuple[int, str, CountingInput]:
    """POST the body through Django's whole WSGI stack (middleware, CSRF included)."""
    client.get(reverse("uploads:new"))  # sets the CSRF cookie
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    stream = CountingInput(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": reverse("uploads:new"),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": cookies,
        "HTTP_X_CSRFTOKEN": client.cookies[settings.CSRF_COOKIE_NAME].value,
    }
    status: list[str] = []
    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = WSGIHandler()(environ, lambda s, headers: status.append(s))
        page = b"".join(chunks).decode()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(status[0].split()[0]), page, stream


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_it_stops_reading_a_file_over_the_cap_and_answers_413(
    staff_client: Client, media: Path, tmp_path: Path, settings: Any
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    body = encode_multipart(
        BOUNDARY,
        {
            "file_type": "txt",
            "program": "board",
            "file": SimpleUploadedFile("Huge.txt", b"x" * TWELVE_MB),
            "mode": "submit",
        },
    )

    status, page, stream = _post_through_wsgi(staff_client, body)

    assert status == 413
    assert "THE FILE IS TOO LARGE. FILES MAY NOT EXCEED 10 MB." in page
    assert "The file is 12 MB." in page
    assert 'role="alert"' in page
    # Read up to the cap and one more chunk, never the remaining 2 MB.
    assert stream.consumed <= settings.UPLOAD_MAX_BYTES + 256 * 1024 < len(body)
    assert not Upload.objects.exists()
    assert not _files_under(media)
    assert not _files_under(tmp_path / "spool"), "the spooled part must be deleted"


def test_it_refuses_a_file_over_the_cap_from_the_test_client_too(
    staff_client: Client, media: Path
) -> None:
    response = staff_client.post(
        reverse("uploads:new"),
        {
            "file_type": "txt",
            "program": "board",
            "file": SimpleUploadedFile("Huge.txt", b"x" * TWELVE_MB),
        },
    )
    assert response.status_code == 413
    assert "THE FILE IS TOO LARGE" in response.content.decode()
    assert not Upload.objects.exists()


def test_it_still_checks_the_csrf_token_of_an_upload(staff_client: Client, media: Path) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = staff_client.cookies
    response = strict.post(
        reverse("uploads:new"),
        {"file_type": "txt", "program": "board", "file": SimpleUploadedFile("a.txt", b"x")},
    )
    assert response.status_code == 403
    assert not Upload.objects.exists()
