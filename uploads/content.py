"""Does a file's content match the type its name claims? Cheap checks on the first bytes.

A PNG renamed `.txt` or a `.zip` renamed `.xlsx` should be told so in those words, not with a
confusing layout error from a reader that tried its best.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import BinaryIO

# A file's bytes, or the (seekable) file itself.
Source = bytes | BinaryIO

# Signatures of files people pick by mistake, and how we name them to the user.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Office file (.xls or .doc)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"{\\rtf", "a Rich Text (.rtf) document"),
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# `<dimension ref="A1:P2501"/>` near the start of a worksheet: the used range, as Excel saw it.
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")
SHEET_HEAD_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# Enough of the start of a file to know what it is.
HEAD_BYTES = 8192


def content_kind(data: bytes) -> str | None:
    """A name for the content when it is a well-known non-text format, else None."""
    for signature, name in SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def content_mismatch(source: Source, *, file_type: str) -> str | None:
    """What the content really is when it is not a `file_type` file; None when it plausibly is.

    `source`: the file's bytes, or the file itself (seekable; only its start, or for a workbook
    its zip directory, is read).
    """
    head = _head(source)
    if file_type == "xlsx":
        return _xlsx_mismatch(head, source)
    kind = content_kind(head)
    if kind is not None:
        return kind
    if _is_binary(head):
        return "binary data, not text"
    if file_type == "xml" and not _text_start(head).startswith("<"):
        return "plain text, not XML"
    return None


def zip_source(source: Source) -> BinaryIO:
    """The file as zipfile wants it: seekable, at its start."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    source.seek(0)
    return source


def _head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:HEAD_BYTES]
    source.seek(0)
    return source.read(HEAD_BYTES)


def _xlsx_mismatch(head: bytes, source: Source) -> str | None:
    if not head.startswith(b"PK\x03\x04"):
        kind = content_kind(head)
        if kind is not None:
            return kind
        return "text, not an Excel workbook" if not _is_binary(head) else "not an Excel workbook"
    try:
        names = set(zipfile.ZipFile(zip_source(source)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "a damaged ZIP archive"
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return "a ZIP archive that is not an Excel workbook"
    return None


def _is_binary(data: bytes) -> bool:
    """Text files (UTF-8, Windows-1252, UTF-16 with a BOM) never hold NUL bytes, except UTF-16."""
    head = data[:8192]
    if head.startswith(UTF16_BOMS):
        return False
    return b"\x00" in head


def _text_start(data: bytes) -> str:
    head = data[:1024]
    if head.startswith(UTF16_BOMS):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
        head = head.removeprefix(UTF8_BOM)
    return head.decode(encoding, errors="ignore").lstrip()


def worksheet_rows_estimate(source: Source) -> int | None:
    """The row count a workbook's first worksheet declares, read from its first 64 KB unzipped.

    Only a hint (a heading row, or cells formatted but empty, count too): the worker counts the
    records. None when the workbook has no worksheet at all.
    """
    with zipfile.ZipFile(zip_source(source)) as archive:
        sheets = sorted(
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
        if not sheets:
            return None
        first = "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in sheets else sheets[0]
        with archive.open(first) as sheet:
            head = sheet.read(SHEET_HEAD_BYTES)
    found = DIMENSION.search(head)
    if found is None:
        return 0
    return int(found.group(1) or 1)
