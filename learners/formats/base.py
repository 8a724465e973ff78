"""What every reader shares: the file-level error, the limits and the learner-file columns."""

from __future__ import annotations

import codecs
import re

from django.conf import settings
from lxml import etree

from learners.engine.programs import Program
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS

PROGRAMS = tuple(Program.values)
FILE_TYPES = ("txt", "csv", "xml", "xlsx")
Columns = tuple[tuple[str, str], ...]


class FileFormatError(Exception):
    """The file as a whole can't be read as a learner file; the message tells the user why and where."""


class TooManyRecordsError(FileFormatError):
    """The file holds more records than one upload may (PARS's 2,500)."""


def hardened_xml_parser() -> etree.XMLParser:
    """The XML parser for untrusted input: no entities, no DTD, no network (XXE and entity
    bombs fail instead of expanding), no huge trees; comments and processing instructions dropped."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class UnreadableXml(Exception):
    """Untrusted XML that can't be read; `problem` completes "The file …" / "The Data …"."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# libxml2 ends its messages with where it stopped, which the answer says once, in brackets.
_WHERE = re.compile(r",? line \d+, column \d+$")


def parse_untrusted_xml(data: bytes) -> etree._Element:
    """The one reader of untrusted XML (files, envelopes, their Data): the root element.

    A DOCTYPE or ENTITY declaration is refused outright, before parsing, in any encoding.
    """
    if _has_declarations(data):
        raise UnreadableXml(
            "contains a DOCTYPE or ENTITY declaration, which is not allowed: remove it"
        )
    try:
        root = etree.fromstring(_with_byte_order_mark(data), parser=hardened_xml_parser())
    except (etree.LxmlError, ValueError) as error:
        if isinstance(error, etree.XMLSyntaxError) and error.lineno:
            raise UnreadableXml(f"is not well-formed XML: {_syntax_problem(error)}") from None
        raise UnreadableXml(f"is not well-formed XML: {error}") from None
    if root is None:
        raise UnreadableXml("is not well-formed XML: it has no root element")
    if root.getroottree().docinfo.doctype:
        raise UnreadableXml("contains a DOCTYPE declaration, which is not allowed: remove it")
    return root


def _with_byte_order_mark(data: bytes) -> bytes:
    """UTF-16 without its byte-order mark, as some systems write it, read by its wide '<'.

    The XML standard asks for the mark and libxml2 reads such a document as empty (big-endian)
    or as a NUL character (little-endian) unless a declaration follows; the first character
    of a document is '<', so its two bytes tell the byte order (UTF-32LE's four are left alone).
    """
    if data.startswith(b"\0<"):
        return codecs.BOM_UTF16_BE + data
    if data.startswith(b"<\0") and not data.startswith(b"<\0\0\0"):
        return codecs.BOM_UTF16_LE + data
    return data


def _syntax_problem(error: etree.XMLSyntaxError) -> str:
    """libxml2's message with where it stopped: "Premature end of data in tag b line 1 (line 1,
    column 9)", not its own "… line 1, line 1, column 9 (<string>, line 1)"."""
    line, column = error.position
    return f"{_WHERE.sub('', error.msg)} (line {line}, column {column})"


def _has_declarations(data: bytes) -> bool:
    if _DECLARATION.search(data):
        return True
    # The same check for UTF-16 documents, whose ASCII is interleaved with NULs.
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = data[2:].decode(codec, errors="replace").encode("utf-8", errors="replace")
            return bool(_DECLARATION.search(text))
    return b"\x00" in data[:200] and bool(_DECLARATION.search(data.replace(b"\x00", b"")))


def columns_for(program: str) -> Columns:
    if program not in PROGRAMS:
        raise ValueError(f"Unknown program {program!r}; expected one of {', '.join(PROGRAMS)}.")
    return REMS_COLUMNS if program == "rems" else BOARD_COLUMNS


def max_records() -> int:
    return int(getattr(settings, "UPLOAD_MAX_RECORDS", 2500))


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def check_size(data: bytes) -> None:
    limit = max_bytes()
    if len(data) > limit:
        raise FileFormatError(
            f"The file is {len(data):,} bytes; the limit is {limit:,} bytes. "
            "Split it into smaller files."
        )


def check_record_count(count: int, *, what: str = "learner records") -> None:
    """No records, or more than the PARS limit, rejects the whole file."""
    if count == 0:
        raise FileFormatError(f"The file contains no {what}.")
    limit = max_records()
    if count > limit:
        raise TooManyRecordsError(
            f"The file contains more than {limit:,} {what}, the limit per file. "
            f"Split it into files of at most {limit:,} records."
        )
