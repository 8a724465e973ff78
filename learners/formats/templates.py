"""Upload templates: a `.txt` (or `.csv`) header row and an `.xlsx` with hints and drop-down lists.

The workbook mirrors ACCME's Excel learner template: a guidance row, the header row, then one row
per learner, with drop-downs fed from a hidden "Lists" sheet (boards and credit types come from
the reference tables, so a new board shows up without a code change). The credit-type drop-downs
depend on the row's board: each offers only that board's credit types. The readers treat the
untouched template as "no learner records" and a filled one as rows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from learners.engine.rems import DEA_REGISTRATIONS, PRACTICE_AREAS, PROFESSIONS, TIMES_IN_PRACTICE
from learners.engine.states import STATES
from learners.formats.base import columns_for, max_records
from learners.formats.delimited import LAYOUTS, write_delimited
from learners.models import Board, CreditType

GUIDANCE: dict[str, str] = {
    "record_action": "Add or Delete",
    "activity_id": "9-digit ACCME Activity ID",
    "completion_date": "MM/DD/YYYY",
    "first_name": "Learner's first name",
    "last_name": "Learner's last name",
    "birth_date": "MM/DD (no year)",
    "licensing_state": "2-letter state code (CME for state licensing)",
    "license_id": "State licence ID, or a 10-digit NPI",
    "cme_credits": "AMA PRA Category 1 credits, in 0.25 steps",
    "board": "Board acronym (MOC)",
    "board_id": "Learner's certifying board ID",
    "board_points": "Total MOC points, in 0.25 steps",
    "credit_type": "Board credit type",
    "credit_type_points": "Points for that credit type",
    "additional_credit_type": "Optional second credit type",
    "additional_credit_type_points": "Points for the second credit type",
    "learner_local_id": "Your own id for the learner (no names)",
    "profession": "Pick from the list",
    "practice_area": "Pick from the list",
    "dea_registration": "Individual, Institutional or None",
    "practice_state": "2-letter state code",
    "time_in_practice": "Pick from the list",
    "performs_surgery": "Y or N",
}
# Identifiers are text: Excel would drop a licence id's leading zeros.
TEXT_COLUMNS = frozenset({"activity_id", "license_id", "board_id", "learner_local_id"})
GUIDANCE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
LISTS_SHEET = "Lists"


def text_template(program: str = "board", *, file_type: str = "txt") -> bytes:
    """The `.txt` (tab-delimited) or `.csv` (comma-separated) template: the header row, UTF-8
    with BOM, CRLF."""
    delimiter = LAYOUTS[file_type].delimiters[0]
    return write_delimited([[title for _, title in columns_for(program)]], delimiter=delimiter)


def drop_down_lists(program: str = "board") -> dict[str, list[str]]:
    """Allowed values per column, for the workbook's drop-downs (credit types: see below)."""
    if program == "rems":
        return {
            "record_action": ["Add", "Delete"],
            "profession": list(PROFESSIONS),
            "practice_area": list(PRACTICE_AREAS),
            "dea_registration": list(DEA_REGISTRATIONS),
            "practice_state": list(STATES),
            "time_in_practice": list(TIMES_IN_PRACTICE),
            "performs_surgery": ["Y", "N"],
        }
    return {
        "record_action": ["Add", "Delete"],
        "licensing_state": list(STATES),
        "board": list(Board.objects.order_by("code").values_list("code", flat=True)),
    }


def credit_types_by_board() -> dict[str, list[str]]:
    """Each board's credit types, for the credit-type drop-downs that follow the board chosen."""
    by_board: dict[str, list[str]] = {}
    for code, name in CreditType.objects.order_by("board__code", "name").values_list(
        "board__code", "name"
    ):
        by_board.setdefault(code, []).append(name)
    return by_board


def credit_types_name(board: str) -> str:
    """The workbook's defined name of a board's credit types, e.g. "CreditTypes_ABIM"."""
    return "CreditTypes_" + re.sub(r"\W", "_", board)


def template_workbook(program: str = "board") -> Workbook:
    """The `.xlsx` template as a workbook: guidance row, header row, drop-downs."""
    return columns_workbook(
        "Learners",
        columns_for(program),
        guidance=GUIDANCE,
        text_columns=TEXT_COLUMNS,
        lists=drop_down_lists(program),
        board_types=LEARNER_BOARD_TYPES if program == "board" else {},
    )


# Credit-type columns of the learner template and the board column each depends on.
LEARNER_BOARD_TYPES = {"credit_type": "board", "additional_credit_type": "board"}


def columns_workbook(
    title: str,
    columns: Sequence[tuple[str, str]],
    *,
    guidance: Mapping[str, str],
    text_columns: Collection[str],
    lists: dict[str, list[str]],
    suggesting: Collection[str] = (),
    board_types: Mapping[str, str] | None = None,
) -> Workbook:
    """A template workbook for any file of `columns` (learners, activities): a guidance row, the
    header row, text columns kept as text, and drop-downs of `lists` (a column in `suggesting`
    offers its list but takes other values too, such as several separated by ;).

    `board_types` maps a credit-type column to the board column whose credit types it offers."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = title
    for index, (name, header) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        hint = sheet.cell(row=GUIDANCE_ROW, column=index, value=guidance.get(name, ""))
        hint.font = Font(italic=True, color="666666")
        hint.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=HEADER_ROW, column=index, value=header).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, len(header) + 2)
        if name in text_columns:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)
    # Lists live on a hidden sheet: an inline list is capped at 255 characters.
    lists_sheet = workbook.create_sheet(LISTS_SHEET)
    lists_sheet.sheet_state = "hidden"
    names = [name for name, _ in columns]
    for list_index, (name, values) in enumerate(lists.items(), start=1):
        source = _write_list(lists_sheet, list_index, values)
        _validate(sheet, names.index(name) + 1, source, suggest=name in suggesting)
    if board_types:
        _add_credit_type_lists(
            workbook, sheet, names, board_types, suggesting, first_column=len(lists) + 1
        )
    return workbook


def _write_list(lists_sheet: Worksheet, column: int, values: Sequence[str]) -> str:
    """Write the values down a column of the Lists sheet; returns their absolute range."""
    letter = get_column_letter(column)
    for row, value in enumerate(values, start=1):
        lists_sheet.cell(row=row, column=column, value=value)
    return f"{LISTS_SHEET}!${letter}$1:${letter}${max(len(values), 1)}"


def _validate(sheet: Worksheet, column: int, formula: str, *, suggest: bool = False) -> None:
    """A drop-down on the column's data rows; `formula` is its source, without a leading "=".
    A suggesting drop-down only informs when a value is not in its list."""
    validation = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="information" if suggest else "stop",
        errorTitle="Not in the list",
        error=(
            "Several values may be typed, separated by ;"
            if suggest
            else "Pick a value from the drop-down list."
        ),
    )
    letter = get_column_letter(column)
    validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + max_records() - 1}")
    sheet.add_data_validation(validation)


def _add_credit_type_lists(
    workbook: Workbook,
    sheet: Worksheet,
    names: list[str],
    board_types: Mapping[str, str],
    suggesting: Collection[str],
    *,
    first_column: int,
) -> None:
    """Credit-type drop-downs that offer only the credit types of the row's board.

    Each board's types are a named range; the drop-down's source is INDIRECT of the name built
    from the row's board cell, so ABIM rows offer ABIM's types and no one else's.
    """
    for offset, (board, types) in enumerate(credit_types_by_board().items()):
        source = _write_list(workbook[LISTS_SHEET], first_column + offset, types)
        name = credit_types_name(board)
        workbook.defined_names[name] = DefinedName(name, attr_text=source)
    for column, board_column in board_types.items():
        board_letter = get_column_letter(names.index(board_column) + 1)
        # Relative to the first data row: Excel shifts the board reference for each row below it.
        formula = f'INDIRECT("CreditTypes_"&${board_letter}{FIRST_DATA_ROW})'
        _validate(sheet, names.index(column) + 1, formula, suggest=column in suggesting)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_template(program: str = "board") -> bytes:
    """The `.xlsx` template, untouched."""
    return workbook_bytes(template_workbook(program))


def filled_xlsx(rows: Iterable[Sequence[object]], program: str = "board") -> bytes:
    """The template with learner rows filled in (cells may be dates or numbers, as Excel's)."""
    workbook = template_workbook(program)
    sheet = workbook.worksheets[0]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            if value not in ("", None):
                sheet.cell(row=FIRST_DATA_ROW + offset, column=column, value=value)
    return workbook_bytes(workbook)
