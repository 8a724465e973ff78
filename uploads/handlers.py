"""Upload handlers: stop reading a learner file as soon as it is bigger than we take.

Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not the size of a file in a multipart
body: without this the whole file would be read and spooled to a temporary file first.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


class UploadTooLargeHandler(FileUploadHandler):
    """Counts file bytes as they arrive; past settings.UPLOAD_MAX_BYTES it stops the upload.

    It then marks the request (`request.upload_too_large`) for the view to answer 413, and stops
    reading the body (connection_reset): what is left of it is never read, let alone stored.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.declared = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        self.declared = content_length

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True  # type: ignore[attr-defined]
                # What the browser said it sends: the best size the user can be told.
                self.request.upload_size = max(self.declared, self.received)  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> Any:
        # The next handlers (memory or temporary file) build the file object.
        return None


def upload_too_large(request: HttpRequest) -> int | None:
    """The size of the upload the size handler stopped, or None when it let it through."""
    if not getattr(request, "upload_too_large", False):
        return None
    return int(getattr(request, "upload_size", 0))
