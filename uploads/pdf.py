"""The "Submitted Learner Summary Report" PDF of an upload's stored records (SPEC §4.6).

Built for 2,500 rows in well under a second: plain-string cells clipped to their column, the
credits wrapped onto more lines (no per-cell Paragraph), fixed column widths, one table whose
header row repeats on every page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from learners.exports import AMA_CREDIT, record_credits
from learners.models import CompletionRecord
from uploads.models import Upload

TITLE = "Submitted Learner Summary Report"
NOTHING_STORED = "No records were stored from this file."
NOTHING_ADDED = "No records were added by this file."
# (header, width in inches): 10 inches across a landscape letter page.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("LEARNER ID", 0.6),
    ("FIRST NAME", 0.7),
    ("LAST NAME", 0.8),
    ("DOB", 0.38),
    ("ACCME\nACTIVITY ID", 0.68),
    ("ACTIVITY TITLE", 1.22),
    ("ACTIVITY TYPE", 0.9),
    ("ACCREDITED\nPROVIDER", 0.95),
    ("DATE\nCOMPLETED", 0.68),
    ("POINTS/\nCREDITS", 0.82),
    ("CREDITS\nAWARDED", 1.5),
    ("STATUS", 0.77),
)
# The credits a learner got are wrapped onto more lines, never cut: they are what the report
# proves. Names, titles and the like are cut with " ..." as PARS does.
WRAPPED = frozenset({"POINTS/\nCREDITS", "CREDITS\nAWARDED"})
FONT_SIZE = 6.5
PADDING = 3
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
NAVY = colors.HexColor("#1d3557")


@cache
def fonts() -> tuple[str, str]:
    """DejaVu (every accent and script in learner names) when installed, else Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSansCondensed.ttf", folder / "DejaVuSansCondensed-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("PortalSans", str(regular)))
            pdfmetrics.registerFont(TTFont("PortalSans-Bold", str(bold)))
            return "PortalSans", "PortalSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _with_related(records: QuerySet[CompletionRecord]) -> QuerySet[CompletionRecord]:
    return records.select_related(
        "learner", "activity__format", "activity__provider", "board"
    ).order_by("source_row", "id")


def upload_summary_records(upload: Upload) -> Iterable[CompletionRecord]:
    """The records the upload added, with their status today."""
    return _with_related(CompletionRecord.objects.filter(upload=upload, provider=upload.provider))


def upload_deleted_records(upload: Upload) -> Iterable[CompletionRecord]:
    """The records the upload's Delete rows removed (added by an earlier upload or call)."""
    return _with_related(upload.deleted_records.filter(provider=upload.provider))


def upload_summary_pdf(*, upload: Upload, exported_by: str, now: datetime | None = None) -> bytes:
    """The PDF of every record the upload added, with their status, then of those it deleted."""
    regular, bold = fonts()
    added = [summary_row(record) for record in upload_summary_records(upload)]
    deleted = [summary_row(record) for record in upload_deleted_records(upload)]
    exported = timezone.localtime(now or timezone.now())
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(letter),
        leftMargin=0.5 * inch,
        rightMargin=0.5 * inch,
        topMargin=0.5 * inch,
        bottomMargin=0.55 * inch,
        title=TITLE,
        author="PARS Portal",
        subject=upload.original_name,
    )
    meta = ParagraphStyle("meta", fontName=regular, fontSize=8.5, leading=12)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=10, leading=14, spaceBefore=8)
    story = [
        Paragraph(TITLE, ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)),
        Paragraph(
            f"Created by {_escape(exported_by)} | Exported at "
            f"{exported:%B %d, %Y %I:%M %p %Z} from PARS Portal",
            meta,
        ),
        Paragraph(
            f"{_escape(upload.original_name)} · Showing {1 if added else 0} - {len(added)} "
            f"of {_count(len(added), 'result')}",
            meta,
        ),
        Spacer(1, 6),
    ]
    if deleted:
        story.append(Paragraph(_count(len(added), "learner record") + " added", heading))
    story.append(_table(added, regular, bold, empty=NOTHING_ADDED if deleted else NOTHING_STORED))
    if deleted:
        story += [
            Paragraph(_count(len(deleted), "learner record") + " deleted", heading),
            _table(deleted, regular, bold, empty=""),
        ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_row(record: CompletionRecord) -> list[str]:
    learner, activity = record.learner, record.activity
    values = [
        str(record.learner_id) if learner else record.rems_learner_local_id,
        learner.first_name if learner else "",
        learner.last_name if learner else "",
        f"{learner.birth_month:02d}/{learner.birth_day:02d}" if learner else "",
        activity.activity_id,
        activity.title,
        activity.format.name,
        activity.provider.name,
        f"{record.completion_date:%m/%d/%Y}",
        _points(record),
        _credits_awarded(record),
        record.get_status_display().upper(),
    ]
    font, _ = fonts()
    return [
        (_wrap if header in WRAPPED else _fit)(value, width * inch - 2 * PADDING, font)
        for value, (header, width) in zip(values, COLUMNS, strict=True)
    ]


def _points(record: CompletionRecord) -> str:
    """ "2.00" for one kind of credit; a line each ("CME 2.00", "ABIM 1.50") for a combined record."""
    credits = record_credits(record)
    if len(credits) == 1:
        return _decimal(credits[0].amount)
    return "\n".join(f"{c.program} {_decimal(c.amount)}" for c in credits)


def _credits_awarded(record: CompletionRecord) -> str:
    """What each credit is for, a line each: "AMA PRA Category 1", "Medical Knowledge 1.50"."""
    if record.rems_profession:
        return "Opioid Analgesic REMS"
    lines = [
        (credit.awarded or credit.program).replace(AMA_CREDIT, "AMA PRA Category 1")
        for credit in record_credits(record)
    ]
    return "\n".join(lines)


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _fit(value: str, room: float, font: str) -> str:
    """The value, each of its lines cut with " ..." (as PARS does) when wider than its column."""
    if "\n" in value:
        return "\n".join(_fit(line, room, font) for line in value.split("\n"))
    value = " ".join(str(value).split())
    # Most cells are short: skip measuring when even the widest glyphs would fit.
    if len(value) * FONT_SIZE <= room or _width(value, font) <= room:
        return value
    while value and _width(value + " ...", font) > room:
        value = value[: max(len(value) - max(len(value) // 8, 1), 0)]
    return value.rstrip() + " ..."


def _wrap(value: str, room: float, font: str) -> str:
    """The value's lines, each broken between words (after a '; ' first) to fit its column."""
    lines: list[str] = []
    for line in value.split("\n"):
        current = ""
        for word in line.replace("; ", ";\n").replace("\n", " \n ").split(" "):
            if word == "\n":
                lines.append(current)
                current = ""
                continue
            candidate = f"{current} {word}".strip()
            if current and _width(candidate, font) > room:
                lines.append(current)
                candidate = word
            current = candidate
        lines.append(current)
    return "\n".join(_fit(line, room, font) for line in lines if line)


def _width(value: str, font: str) -> float:
    return float(pdfmetrics.stringWidth(value, font, FONT_SIZE))


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _row_height(row: list[str]) -> float:
    """13 points for a line, 8 more for each further line of its tallest cell."""
    return 13 + 8 * max(cell.count("\n") for cell in row)


def _table(rows: list[list[str]], regular: str, bold: str, *, empty: str) -> LongTable:
    header = [name for name, _ in COLUMNS]
    body = rows or [[empty] + [""] * (len(COLUMNS) - 1)]
    table = LongTable(
        [header, *body],
        colWidths=[width * inch for _, width in COLUMNS],
        rowHeights=[22] + [_row_height(row) for row in body],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), bold, FONT_SIZE),
                ("FONT", (0, 1), (-1, -1), regular, FONT_SIZE),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), NAVY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d1dc")),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ]
        )
    )
    return table


def _footer(canvas: object, doc: SimpleDocTemplate) -> None:
    regular, _ = fonts()
    canvas.saveState()  # type: ignore[attr-defined]
    canvas.setFont(regular, 7.5)  # type: ignore[attr-defined]
    canvas.drawRightString(  # type: ignore[attr-defined]
        doc.pagesize[0] - doc.rightMargin, 0.3 * inch, f"Page {doc.page}"
    )
    canvas.drawString(doc.leftMargin, 0.3 * inch, f"PARS Portal · {TITLE}")  # type: ignore[attr-defined]
    canvas.restoreState()  # type: ignore[attr-defined]
