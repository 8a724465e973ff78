"""Delimited text learner files: `.txt` (tab-delimited) and `.csv` (comma- or tab-delimited), and
the writer our reports and templates use.

Excel writes "Text (Tab delimited)" and "CSV (Comma delimited)" in the machine's code page
(Windows-1252 in the US), "CSV UTF-8" as UTF-8 with a byte-order mark, and "Unicode Text" as
UTF-16 with one; line ends may be CRLF, LF or (old Mac) CR. Cells holding the delimiter, a quote
or a line break are wrapped in double quotes with `""` escapes: the csv module reads and writes
exactly that. A US-locale Excel separates CSV cells with commas; one set to a European locale
writes semicolons, which are refused with a message that says so (a `;` also sits inside the
"Error Codes" cells of our own report).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from learners.engine.rows import LearnerRow
from learners.formats.base import FileFormatError, check_size
from learners.formats.table import HEADER_SEARCH_ROWS, escape_cell, rows_from_table

csv.field_size_limit(1024 * 1024)


@dataclass(frozen=True)
class TextLayout:
    """What a delimited file type may be separated by, and how Excel saves one."""

    extension: str
    delimiters: tuple[str, ...]  # the first is the type's own; others are read too
    save_as: str


TXT = TextLayout("txt", ("\t",), "'Text (Tab delimited)' or 'Unicode Text'")
CSV = TextLayout("csv", (",", "\t"), "'CSV UTF-8 (Comma delimited)' or 'CSV (Comma delimited)'")
LAYOUTS = {layout.extension: layout for layout in (TXT, CSV)}
_NAMES = {"\t": "tabs", ",": "commas", ";": "semicolons"}

# Signatures of files that are surely not text, with what to tell the user.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document"),
    (b"%PDF", "a PDF document"),
)


def decode_text(data: bytes, layout: TextLayout = TXT) -> str:
    """The text of a delimited file in whichever encoding Excel used."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return _decode(data[len(bom) :], codec, offset=len(bom), layout=layout)
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data[2:], "utf-16-be", offset=2, layout=layout)
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise FileFormatError(
                f"The file is {kind}, not delimited text. Save it from Excel as "
                f"{layout.save_as}, or choose the matching file type."
            )
    wide = _utf16_without_mark(data)
    if wide:
        return _decode(data, wide, offset=0, layout=layout)
    if b"\x00" in data:
        raise FileFormatError(
            "The file is not readable text (it contains binary data). Save it from Excel as "
            f"{layout.save_as}."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "cp1252", offset=0, layout=layout)


def _utf16_without_mark(data: bytes) -> str | None:
    """'utf-16-le' or '-be' for UTF-16 text written without its byte-order mark, else None.

    Its first characters are plain ASCII (the header or an id), so every other byte of them is
    zero: at the odd places for little-endian, at the even ones for big-endian.
    """
    start = data[:200]
    if len(start) < 4 or len(start) % 2:
        start = start[: len(start) - len(start) % 2]
    if len(start) < 4:
        return None
    even, odd = start[0::2], start[1::2]
    if not even.count(0) and odd.count(0) == len(odd):
        return "utf-16-le"
    if not odd.count(0) and even.count(0) == len(even):
        return "utf-16-be"
    return None


def _decode(data: bytes, codec: str, *, offset: int, layout: TextLayout) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        newline = b"\n\x00" if codec == "utf-16-le" else b"\n"
        line = data[: error.start].count(newline) + 1
        raise FileFormatError(
            f"Line {line} holds bytes that are not valid text (byte {error.start + offset + 1}). "
            f"Save the file from Excel as {layout.save_as}."
        ) from None


class _UnreadableLine(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line


def _parse(text: str, *, delimiter: str, strict: bool) -> list[tuple[int, list[str]]]:
    # newline="" keeps line ends as they are, so quoted cells keep their line breaks and
    # CR-only files still split into lines; line_num counts physical lines.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise _UnreadableLine(start, str(error)) from None
    return records


def delimited_lines(text: str, delimiter: str = "\t") -> list[tuple[int, list[str]]]:
    """`(first line number, cells)` per record; a quote never closed is a file error."""
    try:
        return _parse(text, delimiter=delimiter, strict=True)
    except _UnreadableLine as problem:
        if "unexpected end of data" in str(problem):
            raise FileFormatError(
                f'Line {problem.line}: a cell begins with a double quote (") that is never '
                "closed. Remove the quote or close it."
            ) from None
    # A stray quote inside a cell (`"Bob" Smith`) is only a strict error: read leniently.
    try:
        return _parse(text, delimiter=delimiter, strict=False)
    except _UnreadableLine as problem:
        raise FileFormatError(
            f"Line {problem.line} is not readable as delimited text ({problem})."
        ) from None


def _head(text: str) -> list[tuple[int, str]]:
    """The first non-blank physical lines, where a header or the first rows are."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if line.strip():
            lines.append((number, line.rstrip("\r\n")))
            if len(lines) == HEADER_SEARCH_ROWS:
                break
    return lines


def _cells(line: str, delimiter: str) -> int:
    # Counted, not parsed: a line may be megabytes long (the reader says what is wrong with it),
    # and a delimiter quoted inside a cell barely moves the comparison.
    return line.count(delimiter) + 1


def file_delimiter(text: str, layout: TextLayout) -> str:
    """The delimiter of the file: the layout's that splits its first lines into most cells."""
    head = _head(text)
    if not head:
        return layout.delimiters[0]  # no records: the table reader says so
    best, most = "", 1
    for delimiter in layout.delimiters:
        cells = max(_cells(line, delimiter) for _, line in head)
        if cells > most:
            best, most = delimiter, cells
    if best:
        return best
    number, line = head[0]
    raise FileFormatError(_not_delimited(number, line, layout))


def _not_delimited(number: int, line: str, layout: TextLayout) -> str:
    expected = " or ".join(_NAMES[d] for d in layout.delimiters)
    kind = "tab-delimited" if layout is TXT else "comma-separated"
    found = next((d for d in (",", ";") if _cells(line, d) > 1), "")
    said = f"Line {number} has no {expected}: the file is not {kind}"
    if found == "," and layout is TXT:
        return (
            f"{said} (it is separated by commas). Choose the comma-separated (.csv) file type, "
            f"or save it from Excel as {layout.save_as}."
        )
    if found == ";":
        return (
            f"{said} (it is separated by semicolons, as Excel writes when Windows uses a "
            "European list separator). Save it from Excel as 'Text (Tab delimited)' and upload "
            "it as a .txt, or set the list separator to a comma."
        )
    return f"{said}. Save it from Excel as {layout.save_as} or use the template."


def read_delimited(
    data: bytes, *, program: str = "board", layout: TextLayout = TXT
) -> list[LearnerRow]:
    """Read a `.txt` or `.csv` learner file into LearnerRows (FileFormatError for the file)."""
    check_size(data)
    text = decode_text(data, layout)
    delimiter = file_delimiter(text, layout)
    return rows_from_table(delimited_lines(text, delimiter), program=program)


def write_delimited(rows: Iterable[Sequence[str]], *, delimiter: str = "\t") -> bytes:
    """UTF-8 with a BOM (so Excel opens it as UTF-8), CRLF, formula-safe cells (`escape_cell`).

    The output reads back with `read_delimited` to the same values.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([escape_cell(value.replace("\x00", "")) for value in row] for row in rows)
    # A lone surrogate can only come from a bug upstream; never let it break the report.
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8", errors="replace")
