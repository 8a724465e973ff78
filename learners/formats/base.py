"""What every reader shares: the file-level error, the limits and the learner-file columns."""

from __future__ import annotations

from django.conf import settings
from lxml import etree

from learners.engine.programs import Program
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS

PROGRAMS = tuple(Program.values)
FILE_TYPES = ("txt", "xml", "xlsx")
Columns = tuple[tuple[str, str], ...]


class FileFormatError(Exception):
    """The file as a whole can't be read as a learner file; the message tells the user why and where."""


class TooManyRecordsError(FileFormatError):
    """The file holds more records than one upload may (PARS's 2,500)."""


def hardened_xml_parser() -> etree.XMLParser:
    """The one XML parser for untrusted input: no entities, no DTD, no network (XXE and entity
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
