"""A one-sheet .xlsx written as it goes: the zip is streamed, row by row, never held whole.

openpyxl's write-only workbook still builds the whole file before the first byte can be sent;
an export of a provider's 60,000 records would keep the browser waiting for all of it. Here the
sheet's XML is compressed into the zip as rows arrive (zipfile writes to a stream that can't
seek, with data descriptors), and what is ready is handed on every few hundred rows.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

Value = str | int | Decimal | date | None

_EXCEL_EPOCH = datetime(1899, 12, 30)
_DATE_STYLE, _DATETIME_STYLE = 1, 2
ROWS_PER_CHUNK = 500
# A page's worth of rows leaves first: the download starts once they are read (and, for the
# Activity Learner Summary, counted), not after a big provider's whole first few hundred.
FIRST_CHUNK_ROWS = 25


def chunk_ends(rows_written: int) -> bool:
    """Whether an export's chunk ends after this many rows (CSV or workbook alike)."""
    return rows_written == FIRST_CHUNK_ROWS or rows_written % ROWS_PER_CHUNK == 0


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="mm/dd/yyyy"/><numFmt numFmtId="165" formatCode="mm/dd/yyyy hh:mm AM/PM"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


class _Pipe:
    """The file zipfile writes to: it keeps what was written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _serial(value: date) -> str:
    """Excel's day number (fractional for a time of day); wall-clock time, no zone."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - _EXCEL_EPOCH
    return repr(delta.days + delta.seconds / 86_400)


def _cell(ref: str, value: Value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{_serial(value)}</v></c>'
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        text = escape(str(value))
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _row(number: int, values: Sequence[Value], letters: list[str]) -> str:
    cells = "".join(_cell(f"{letters[i]}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def xlsx_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Value]], *, title: str
) -> Iterator[bytes]:
    """The workbook's bytes, a few hundred rows at a time."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK.format(title=escape(title[:31], {'"': "&quot;"}))),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), ("xl/styles.xml", _STYLES),
        ):  # fmt: skip
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            letters = [get_column_letter(i + 1) for i in range(len(header))]
            sheet.write((_SHEET_START + _row(1, header, letters)).encode("utf-8"))
            for number, values in enumerate(rows, start=2):
                sheet.write(_row(number, values, letters).encode("utf-8"))
                if chunk_ends(number - 1):  # row 1 is the header
                    yield pipe.take()
            sheet.write(_SHEET_END.encode("utf-8"))
    yield pipe.take()
