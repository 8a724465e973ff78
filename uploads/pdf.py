"""The "Submitted Learner Summary Report" PDF of an upload's stored records (SPEC §4.6).

Built for 2,500 rows in well under a second: plain-string cells clipped to their column (no
per-cell Paragraph), fixed column widths, one table whose header row repeats on every page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from learners.models import CompletionRecord
from uploads.models import Upload

TITLE = "Submitted Learner Summary Report"
# (header, width in inches): 10 inches across a landscape letter page.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("LEARNER ID", 0.6),
    ("FIRST NAME", 0.7),
    ("LAST NAME", 0.8),
    ("DOB", 0.38),
    ("ACCME\nACTIVITY ID", 0.68),
    ("ACTIVITY TITLE", 1.42),
    ("ACTIVITY TYPE", 1.0),
    ("ACCREDITED\nPROVIDER", 1.05),
    ("DATE\nCOMPLETED", 0.68),
    ("POINTS/\nCREDITS", 0.52),
    ("CREDITS\nAWARDED", 1.4),
    ("STATUS", 0.77),
)
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


def upload_summary_records(upload: Upload) -> Iterable[CompletionRecord]:
    return (
        CompletionRecord.objects.filter(upload=upload, provider=upload.provider)
        .select_related("learner", "activity__format", "activity__provider", "board")
        .order_by("source_row", "id")
    )


def upload_summary_pdf(*, upload: Upload, exported_by: str, now: datetime | None = None) -> bytes:
    """The PDF of every record the upload stored, with their status."""
    regular, bold = fonts()
    rows = [summary_row(record) for record in upload_summary_records(upload)]
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
    story = [
        Paragraph(TITLE, ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)),
        Paragraph(
            f"Created by {_escape(exported_by)} | Exported at "
            f"{exported:%B %d, %Y %I:%M %p %Z} from PARS Portal",
            ParagraphStyle("meta", fontName=regular, fontSize=8.5, leading=12),
        ),
        Paragraph(
            f"{_escape(upload.original_name)} · Showing {1 if rows else 0} - {len(rows)} "
            f"of {len(rows)} results",
            ParagraphStyle("count", fontName=regular, fontSize=8.5, leading=12),
        ),
        Spacer(1, 6),
        _table(rows, regular, bold),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


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
        _fit(value, width * inch - 2 * PADDING, font)
        for value, (_, width) in zip(values, COLUMNS, strict=True)
    ]


def _points(record: CompletionRecord) -> str:
    value = record.moc_points if record.board_id else record.ama_credits
    return _decimal(value)


def _credits_awarded(record: CompletionRecord) -> str:
    if record.board_id:
        types = [str(item.get("type", "")) for item in record.moc_credits or [] if item.get("type")]
        return ", ".join(types) or (record.board.code if record.board else "")
    if record.rems_profession:
        return "Opioid Analgesic REMS"
    return "AMA PRA Category 1" if record.ama_credits else ""


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _fit(value: str, room: float, font: str) -> str:
    """The value, cut with " ..." (as PARS does) when it is wider than its column."""
    value = " ".join(str(value).split())
    # Most cells are short: skip measuring when even the widest glyphs would fit.
    if len(value) * FONT_SIZE <= room or _width(value, font) <= room:
        return value
    while value and _width(value + " ...", font) > room:
        value = value[: max(len(value) - max(len(value) // 8, 1), 0)]
    return value.rstrip() + " ..."


def _width(value: str, font: str) -> float:
    return float(pdfmetrics.stringWidth(value, font, FONT_SIZE))


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list[str]], regular: str, bold: str) -> LongTable:
    header = [name for name, _ in COLUMNS]
    body = rows or [["No records were stored from this file."] + [""] * (len(COLUMNS) - 1)]
    table = LongTable(
        [header, *body],
        colWidths=[width * inch for _, width in COLUMNS],
        rowHeights=[22] + [13] * len(body),
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
