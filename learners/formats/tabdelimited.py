"""Tab-delimited `.txt` learner files, as Excel saves them, and the writer our reports use.

Excel writes "Text (Tab delimited)" in the machine's code page (Windows-1252 in the US) or UTF-8,
and "Unicode Text" as UTF-16 with a byte-order mark; line ends may be CRLF, LF or (old Mac) CR.
Cells holding a tab, a quote or a line break are wrapped in double quotes with `""` escapes: the
csv module reads and writes exactly that.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence

from learners.engine.rows import LearnerRow
from learners.formats.base import FileFormatError, check_size
from learners.formats.table import escape_cell, rows_from_table

csv.field_size_limit(1024 * 1024)

# Signatures of files that are surely not text, with what to tell the user.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document"),
    (b"%PDF", "a PDF document"),
)


def decode_text(data: bytes) -> str:
    """The text of a `.txt` file in whichever encoding Excel used."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return _decode(data[len(bom) :], codec, offset=len(bom))
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data[2:], "utf-16-be", offset=2)
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise FileFormatError(
                f"The file is {kind}, not tab-delimited text. Save it from Excel as "
                "'Text (Tab delimited)', or choose the matching file type."
            )
    if b"\x00" in data:
        raise FileFormatError(
            "The file is not readable text (it contains binary data). Save it from Excel as "
            "'Text (Tab delimited)' or 'Unicode Text'."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "cp1252", offset=0)


def _decode(data: bytes, codec: str, *, offset: int) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        newline = b"\n\x00" if codec == "utf-16-le" else b"\n"
        line = data[: error.start].count(newline) + 1
        raise FileFormatError(
            f"Line {line} holds bytes that are not valid text (byte {error.start + offset + 1}). "
            "Save the file from Excel as 'Text (Tab delimited)' or 'Unicode Text'."
        ) from None


class _UnreadableLine(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line


def _parse(text: str, *, strict: bool) -> list[tuple[int, list[str]]]:
    # newline="" keeps line ends as they are, so quoted cells keep their line breaks and
    # CR-only files still split into lines; line_num counts physical lines.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=strict)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise _UnreadableLine(start, str(error)) from None
    return records


def tab_delimited_lines(text: str) -> list[tuple[int, list[str]]]:
    """`(first line number, cells)` per record; a quote never closed is a file error."""
    try:
        return _parse(text, strict=True)
    except _UnreadableLine as problem:
        if "unexpected end of data" in str(problem):
            raise FileFormatError(
                f'Line {problem.line}: a cell begins with a double quote (") that is never '
                "closed. Remove the quote or close it."
            ) from None
    # A stray quote inside a cell (`"Bob" Smith`) is only a strict error: read leniently.
    try:
        return _parse(text, strict=False)
    except _UnreadableLine as problem:
        raise FileFormatError(
            f"Line {problem.line} is not readable as tab-delimited text ({problem})."
        ) from None


def read_tab_delimited(data: bytes, *, program: str = "board") -> list[LearnerRow]:
    """Read a `.txt` learner file into LearnerRows (FileFormatError for the file as a whole)."""
    check_size(data)
    text = decode_text(data)
    return rows_from_table(tab_delimited_lines(text), program=program, require_tabs=True)


def write_delimited(rows: Iterable[Sequence[str]], *, delimiter: str = "\t") -> bytes:
    """UTF-8 with a BOM (so Excel opens it as UTF-8), CRLF, formula-safe cells (`escape_cell`).

    Tab-delimited output reads back with `read_tab_delimited` to the same values.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([escape_cell(value.replace("\x00", "")) for value in row] for row in rows)
    # A lone surrogate can only come from a bug upstream; never let it break the report.
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8", errors="replace")
