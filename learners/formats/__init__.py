"""Learner files in, LearnerRows out: `.txt` (tab-delimited), `.csv` (comma- or tab-delimited),
`.xml` (ACCMELearnerReports v3), `.xlsx`.

`read_learner_file` raises one `FileFormatError` (a message for the user naming the line or the
element) when the file as a whole can't be read: unreadable, not the layout, empty, or more than
settings.UPLOAD_MAX_RECORDS records. Problems of single rows are not exceptions: the values are
kept as given for the rules to judge.
"""

from __future__ import annotations

from learners.engine.rows import LearnerRow
from learners.formats.base import FILE_TYPES, FileFormatError, TooManyRecordsError, columns_for
from learners.formats.delimited import LAYOUTS, read_delimited
from learners.formats.xlsx import read_xlsx
from learners.formats.xml import (
    ParsedReport,
    parse_activity_reports,
    parse_learner_reports_xml,
    structure_problems,
)

__all__ = [
    "FILE_TYPES",
    "FileFormatError",
    "ParsedReport",
    "TooManyRecordsError",
    "parse_activity_reports",
    "parse_learner_reports_xml",
    "read_learner_file",
    "structure_problems",
]


def read_learner_file(data: bytes, *, file_type: str, program: str = "board") -> list[LearnerRow]:
    """Read an uploaded learner file of `file_type` ("txt", "csv", "xml", "xlsx") for `program`."""
    columns_for(program)  # a wrong program is a programming error, not the user's
    if file_type in LAYOUTS:
        return read_delimited(data, program=program, layout=LAYOUTS[file_type])
    if file_type == "xlsx":
        return read_xlsx(data, program=program)
    if file_type == "xml":
        return parse_learner_reports_xml(data, program=program)
    raise ValueError(f"Unknown file type {file_type!r}; expected one of {', '.join(FILE_TYPES)}.")
