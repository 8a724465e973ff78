"""A logged-in browser session against a running portal, over real HTTP (soak and tests)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

TIMEOUT = 30.0
UPLOAD_PAGE = re.compile(r"/uploads/(\d+)/$")


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the caller reads the 3xx and its Location itself


class PortalSession:
    """Cookies and CSRF like a browser; answers are never followed, only reported."""

    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"Not an HTTP URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path))  # noqa: S310 (http checked)

    def login(self, email: str, password: str) -> None:
        self.get("/login/")
        form = {"username": email, "password": password, "csrfmiddlewaretoken": self._csrf()}
        answer = self._post(
            "/login/", urlencode(form).encode(), "application/x-www-form-urlencoded"
        )
        if answer.status != 302:
            raise RuntimeError(f"Could not log in as {email} (HTTP {answer.status}).")

    def upload(
        self, *, name: str, data: bytes, file_type: str = "txt", mode: str = "submit"
    ) -> Answer:
        """POST the Upload New File form; a 303 to the upload's page means it was taken."""
        self.get("/uploads/")
        fields = {
            "file_type": file_type,
            "program": "board",
            "mode": mode,
            "file": SimpleUploadedFile(name, data),
            "csrfmiddlewaretoken": self._csrf(),
        }
        return self._post("/uploads/", encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT)

    def _csrf(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise RuntimeError("The portal set no CSRF cookie.")

    def _post(self, path: str, body: bytes, content_type: str) -> Answer:
        request = urllib.request.Request(  # noqa: S310 (http checked in __init__)
            self.base_url + path,
            data=body,
            headers={"Content-Type": content_type, "Referer": self.base_url + path},
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Answer(
                    response.status, response.headers.get("Location", ""), _text(response)
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers.get("Location", ""), _text(error))


def upload_id_of(answer: Answer) -> int | None:
    """The id of the upload a 303 answer sends the browser to, if any."""
    match = UPLOAD_PAGE.search(answer.location) if answer.status == 303 else None
    return int(match.group(1)) if match else None


def _text(response: Any) -> str:
    return response.read().decode("utf-8", "replace")
