"""Activity files: read any of the layouts, write the template and the rejected-rows report.

  .xml   ACCMEActivities v3 with many activities (as SaveActivity's Data)
  .txt   the portal's activity template, tab-delimited, or PARS's Template D (first column)
  .xlsx  the portal's activity template

`read_activity_file` raises FileFormatError (TooManyRecordsError past 2,500) for a file that
can't be read as a whole; a bad value in a row is the rules' business, never the reader's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from openpyxl import Workbook

from activities import table, template_d
from activities.facts import ActivityError
from activities.inputs import ActivityInput, MocInput
from activities.models import ActivityStatus, Specialty
from activities.xml import read_activities_xml
from activities.xml_writer import activities_xml
from learners.engine.rows import REPORT_COLUMNS
from learners.formats.base import FileFormatError, check_record_count, check_size, max_records
from learners.formats.delimited import decode_text, delimited_lines, write_delimited
from learners.formats.templates import FIRST_DATA_ROW, columns_workbook, workbook_bytes
from learners.formats.xlsx import workbook_lines
from learners.models import ActivityFormat, Board
from learners.report import CODE_SEPARATOR, MESSAGE_SEPARATOR

PORTAL, TEMPLATE_D, XML = "portal", "template_d", "xml"
WHAT = "activities"


@dataclass(frozen=True)
class ActivityFile:
    layout: str  # PORTAL, TEMPLATE_D or XML: the rejected-rows report keeps the layout
    items: list[ActivityInput]


def read_activity_file(data: bytes, *, file_type: str) -> ActivityFile:
    """The activities of an uploaded `.xml`, `.txt` or `.xlsx` file."""
    if file_type == "xml":
        return ActivityFile(XML, read_activities_xml(data))
    if file_type == "txt":
        check_size(data)
        lines = [line for line in delimited_lines(decode_text(data)) if "".join(line[1]).strip()]
        if lines and all(len(cells) < 2 for _, cells in lines[:2]):
            raise FileFormatError(
                f"Line {lines[0][0]} has no tab characters: the file is not tab-delimited. "
                "Save it from Excel as 'Text (Tab delimited)' or use the activity template."
            )
        if template_d.is_template_d(lines):
            return _counted(ActivityFile(TEMPLATE_D, template_d.inputs_from_template_d(lines)))
        return _counted(ActivityFile(PORTAL, table.inputs_from_table(lines)))
    if file_type == "xlsx":
        lines = list(_limited(workbook_lines(data)))
        return _counted(ActivityFile(PORTAL, table.inputs_from_table(lines)))
    raise ValueError(f"Unknown file type {file_type!r}")


def _limited(lines: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    # A worksheet may carry formatting far down: stop reading well past the record limit.
    found = []
    for number, cells in lines:
        if "".join(cells).strip():
            found.append((number, cells))
            if len(found) > max_records() + table.HEADER_SEARCH_ROWS:
                break
    return found


def _counted(found: ActivityFile) -> ActivityFile:
    check_record_count(len(found.items), what=WHAT)
    return found


class ResultLike(Protocol):
    @property
    def item(self) -> ActivityInput: ...

    @property
    def errors(self) -> Sequence[ActivityError]: ...


def report_rows(results: Sequence[ResultLike], *, layout: str) -> list[list[str]]:
    """The header and one line per rejected activity, in the layout it came in (XML rows in the
    portal template), then the codes and messages: it uploads again as it is."""
    rejected = [r for r in results if r.errors]
    if layout == TEMPLATE_D:
        width = max((len(r.item.raw) for r in rejected), default=0)
        lines = []
        for result in rejected:
            cells = list(result.item.raw) + [""] * (width - len(result.item.raw))
            lines.append([*cells, *_codes(result.errors)])
        return lines
    lines = [[*table.header_row(), *REPORT_COLUMNS]]
    lines += [[*table.template_values(r.item), *_codes(r.errors)] for r in rejected]
    return lines


def _codes(errors: Sequence[ActivityError]) -> list[str]:
    return [
        CODE_SEPARATOR.join(e.code for e in errors),
        MESSAGE_SEPARATOR.join(e.message for e in errors),
    ]


def rejected_activities_txt(results: Sequence[ResultLike], *, layout: str) -> bytes:
    return write_delimited(report_rows(results, layout=layout))


def rejected_activities_csv(results: Sequence[ResultLike], *, layout: str) -> bytes:
    return write_delimited(report_rows(results, layout=layout), delimiter=",")


def activity_template_txt() -> bytes:
    return write_delimited([table.header_row()])


def activity_rows_txt(items: Sequence[ActivityInput]) -> bytes:
    """Activities as a filled tab-delimited template (sample and test files)."""
    return write_delimited([table.header_row(), *table.rows_for(items)])


def drop_down_lists() -> dict[str, list[str]]:
    """Allowed values per template column, for the workbook's drop-downs (reference tables)."""
    boards = list(Board.objects.order_by("code").values_list("code", flat=True))
    yes_no = ["Yes", "No"]
    lists: dict[str, list[str]] = {
        "action": ["Add", "Update", "Delete"],
        "format_name": list(ActivityFormat.objects.order_by("name").values_list("name", flat=True)),
        "providership": ["Direct", "Joint"],
        "specialties": list(Specialty.objects.values_list("name", flat=True)),
        "commercial_support": yes_no,
        "rems": yes_no,
        "status": list(ActivityStatus.labels),
    }
    for slot in range(len(table.MOC_SLOTS)):
        lists[f"moc{slot}_board"] = boards
    return lists


# Several values may be typed in these (separated by ;): the list only suggests.
SUGGESTING = frozenset({"specialties", *(f"moc{s}_credit_types" for s in range(3))})
# Each registration's credit types are offered from the types of its board.
BOARD_TYPES = {f"moc{s}_credit_types": f"moc{s}_board" for s in range(len(table.MOC_SLOTS))}
TEXT_COLUMNS = frozenset({"accme_activity_id", "provider_activity_id"})


def activity_template_workbook() -> Workbook:
    return columns_workbook(
        "Activities",
        table.COLUMNS,
        guidance=table.GUIDANCE,
        text_columns=TEXT_COLUMNS,
        lists=drop_down_lists(),
        suggesting=SUGGESTING,
        board_types=BOARD_TYPES,
    )


def activity_template_xlsx(items: Sequence[ActivityInput] = ()) -> bytes:
    """The `.xlsx` template, empty or filled with activities (sample and test files)."""
    workbook = activity_template_workbook()
    sheet = workbook.worksheets[0]
    for offset, values in enumerate(table.rows_for(items)):
        for column, value in enumerate(values, start=1):
            if value:
                sheet.cell(row=FIRST_DATA_ROW + offset, column=column, value=value)
    return workbook_bytes(workbook)


def sample_activities(today: date) -> list[ActivityInput]:
    """Two activities of this year, as a provider's system would send them (for the samples)."""
    year = today.year
    return [
        ActivityInput(
            action="Add",
            provider_activity_id=f"IM-UPDATE-{year}",
            title=f"Internal Medicine Update {year}",
            format_name="Live Course",
            start_date=f"{year}-03-02",
            end_date=f"{year}-03-04",
            credit_claim_date=f"{year}-06-30",
            ama_credits="12",
            providership="direct",
            description="Three days of updates in hospital and ambulatory internal medicine.",
            city="Chicago",
            state="IL",
            country="USA",
            specialties=("Internal Medicine",),
            commercial_support="no",
            moc=(MocInput("ABIM", "12", ("Medical Knowledge",)),),
        ),
        ActivityInput(
            action="Add",
            provider_activity_id=f"SEPSIS-EM-{year}",
            title="Recognising Sepsis Early",
            format_name="Internet Enduring Material",
            start_date=f"{year}-01-15",
            end_date=f"{year}-12-31",
            ama_credits="1.5",
            providership="joint",
            joint_providers=("Lakeshore Nursing Society",),
            description="A case-based module on the first hour of sepsis care.",
            url="https://learning.example.org/sepsis",
            commercial_support="no",
        ),
    ]


def activities_xml_sample(*, today: date) -> bytes:
    """The sample `.xml` activity file offered next to the templates."""
    return activities_xml(sample_activities(today)).encode("utf-8")
