"""The WSGI entry point: web-service calls sent in chunks reach Django with their length."""

from __future__ import annotations

import io
from typing import Any

import pytest

from portal.wsgi import chunked_service_bodies

SERVICE = "/services/ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId"


def _seen(environ: dict[str, Any], *, limit: int = 100) -> tuple[str | None, bytes]:
    """What the wrapped application is given: the Content-Length and the body."""
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["length"] = environ.get("CONTENT_LENGTH")
        seen["body"] = environ["wsgi.input"].read()
        return []

    chunked_service_bodies(app, limit=lambda: limit)(environ, lambda *a: None)
    return seen["length"], seen["body"]


def _environ(body: bytes, **changes: Any) -> dict[str, Any]:
    return {
        "PATH_INFO": SERVICE,
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        **changes,
    }


def test_it_gives_a_decoded_chunked_call_its_length() -> None:
    assert _seen(_environ(b"<a/>")) == ("4", b"<a/>")


def test_it_reads_no_more_than_one_byte_over_the_limit() -> None:
    length, body = _seen(_environ(b"x" * 500), limit=100)

    assert (length, body) == ("101", b"x" * 101)  # the view answers 413 for it


@pytest.mark.parametrize(
    "changes",
    [
        {"wsgi.input_terminated": False},  # the server did not decode it (runserver): 411
        {"PATH_INFO": "/uploads/"},  # not a web-service call
        {"HTTP_TRANSFER_ENCODING": ""},
        {"CONTENT_LENGTH": "2"},
    ],
)
def test_it_leaves_every_other_request_as_it_came(changes: dict[str, Any]) -> None:
    length, body = _seen(_environ(b"<a/>", **changes))

    assert length == changes.get("CONTENT_LENGTH")
    assert body == b"<a/>"
