"""Why an upload is refused at once, before anything is stored: one registry of codes and wording.

The headline wording is PARS's (upper case, as on its screens); `detail` says what exactly was
wrong, so a user never has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from pathlib import PurePath

from django.conf import settings


class Refusal(Enum):
    FORM = "form"
    NO_FILE = "no_file"
    WRONG_EXTENSION = "wrong_extension"
    WRONG_CONTENT = "wrong_content"
    NOT_FORMATTED = "not_formatted"
    TOO_MANY_RECORDS = "too_many_records"
    TOO_LARGE = "too_large"
    REMS_NOT_AVAILABLE = "rems_not_available"
    IN_PROGRESS = "in_progress"
    NOT_PENDING = "not_pending"
    NOT_RERUNNABLE = "not_rerunnable"
    NOT_CANCELLABLE = "not_cancellable"
    FILE_GONE = "file_gone"
    NOTHING_TO_FIX = "nothing_to_fix"
    NOTHING_CHANGED = "nothing_changed"
    FIX_STALE = "fix_stale"
    ROW_NOT_SENDABLE = "row_not_sendable"


@dataclass(eq=False)
class UploadRefused(Exception):
    """A file we will not take, with the message the user sees and the HTTP status of the page."""

    refusal: Refusal
    message: str
    detail: str = ""
    status: int = HTTPStatus.BAD_REQUEST

    def __str__(self) -> str:
        return f"{self.message} {self.detail}".strip()


def no_file() -> UploadRefused:
    return UploadRefused(Refusal.NO_FILE, "PLEASE CHOOSE A FILE TO UPLOAD.")


def wrong_extension(file_type: str, name: str) -> UploadRefused:
    ext = file_type.upper()
    return UploadRefused(
        Refusal.WRONG_EXTENSION,
        f"THE FILE SELECTED IS NOT A .{ext} FILE. PLEASE UPLOAD A .{ext} FILE.",
        f"“{name}” does not end in .{file_type}.",
    )


def extension_refusal(file_type: str, name: str) -> UploadRefused | None:
    """The refusal for a file whose name does not end in the chosen type's extension, or None."""
    if PurePath(name).suffix.lower() != f".{file_type}":
        return wrong_extension(file_type, name)
    return None


def wrong_content(file_type: str, what: str) -> UploadRefused:
    ext = file_type.upper()
    return UploadRefused(
        Refusal.WRONG_CONTENT,
        f"THE FILE SELECTED IS NOT A .{ext} FILE. PLEASE UPLOAD A .{ext} FILE.",
        f"Its name ends in .{file_type}, but its content is {what}.",
    )


def not_formatted(reason: str) -> UploadRefused:
    return UploadRefused(
        Refusal.NOT_FORMATTED,
        "THE FILE IS NOT FORMATTED CORRECTLY. PLEASE USE THE FORMAT PROVIDED IN THIS TEMPLATE.",
        reason,
    )


def too_many_records(count: int | None, reason: str = "") -> UploadRefused:
    limit = settings.UPLOAD_MAX_RECORDS
    found = f"The file holds {count:,} records. " if count is not None else ""
    return UploadRefused(
        Refusal.TOO_MANY_RECORDS,
        f"THE FILE HAS MORE THAN {limit:,} RECORDS. BATCH UPLOADS MAY NOT EXCEED {limit:,} RECORDS.",
        reason or f"{found}Split it into files of at most {limit:,} records each.",
    )


def too_large(size: int) -> UploadRefused:
    limit = settings.UPLOAD_MAX_BYTES
    return UploadRefused(
        Refusal.TOO_LARGE,
        f"THE FILE IS TOO LARGE. FILES MAY NOT EXCEED {_megabytes(limit)}.",
        f"The file is {_megabytes(size)}.",
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    )


def rems_not_available() -> UploadRefused:
    return UploadRefused(
        Refusal.REMS_NOT_AVAILABLE,
        "YOUR ORGANIZATION DOES NOT TAKE PART IN THE OPIOID ANALGESIC REMS PROGRAM.",
        "Choose “Submit Learners for Licensing or Specialty Board”, or ask ACCME to enrol your "
        "organization in REMS.",
    )


def in_progress() -> UploadRefused:
    return UploadRefused(
        Refusal.IN_PROGRESS,
        "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS. PLEASE WAIT UNTIL IT HAS PROCESSED.",
        "Only one file may be processed at a time. Check its status in View Upload History.",
        HTTPStatus.CONFLICT,
    )


def not_pending() -> UploadRefused:
    return UploadRefused(
        Refusal.NOT_PENDING,
        "THIS FILE IS NO LONGER WAITING FOR CONFIRMATION.",
        "It was already uploaded or discarded. Choose the file again to upload it.",
        HTTPStatus.CONFLICT,
    )


def not_rerunnable(status: str) -> UploadRefused:
    return UploadRefused(
        Refusal.NOT_RERUNNABLE,
        "ONLY A FAILED OR CANCELLED UPLOAD CAN BE RE-RUN.",
        f"This upload is {status}.",
        HTTPStatus.CONFLICT,
    )


def not_cancellable(status: str, cancellable: tuple[str, ...]) -> UploadRefused:
    if "processing" in cancellable:
        headline = "ONLY A QUEUED OR PROCESSING UPLOAD CAN BE CANCELLED."
    else:
        headline = "ONLY AN UPLOAD WAITING IN THE QUEUE CAN BE CANCELLED."
    detail = f"This upload is {status.lower()}."
    if status.lower() == "processing":
        detail += " A worker has started it: it will finish on its own."
    return UploadRefused(Refusal.NOT_CANCELLABLE, headline, detail, HTTPStatus.CONFLICT)


def file_gone() -> UploadRefused:
    return UploadRefused(
        Refusal.FILE_GONE,
        "THE UPLOADED FILE IS NO LONGER STORED.",
        "Stored files are removed after 30 days; ask the provider to upload it again.",
        HTTPStatus.GONE,
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def nothing_to_fix() -> UploadRefused:
    return UploadRefused(
        Refusal.NOTHING_TO_FIX,
        "THIS UPLOAD HAS NO REJECTED ROWS LEFT TO FIX.",
        "Every row of it was processed, or was corrected by a later upload.",
        HTTPStatus.CONFLICT,
    )


def nothing_changed() -> UploadRefused:
    return UploadRefused(
        Refusal.NOTHING_CHANGED,
        "NO ROW WAS CHANGED.",
        "Correct at least one cell of a rejected row, then submit: rows left as they are are "
        "not sent again.",
    )


def fix_stale() -> UploadRefused:
    return UploadRefused(
        Refusal.FIX_STALE,
        "THE REJECTED ROWS CHANGED SINCE THIS PAGE WAS OPENED.",
        "A correction of this upload finished meanwhile. The rows still to fix are shown below: "
        "make your changes again.",
        HTTPStatus.CONFLICT,
    )


def row_not_sendable(row: int, problem: str) -> UploadRefused:
    return UploadRefused(
        Refusal.ROW_NOT_SENDABLE,
        "A CHANGED ROW CAN'T BE SENT AS IT IS.",
        f"Row {row} {problem}",
    )
