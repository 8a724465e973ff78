"""PARS's "technical information" page: the learner and activity file formats, and the XML
schemas to download.

Public, as ACCME's own page is: an LMS developer writing an export may have no portal login. The
schemas are the MedBiquitous files PARS's XML builds on, served as they are published.
"""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from activities import table as activity_table
from learners.engine.rows import REPORT_COLUMNS
from learners.formats.base import columns_for
from learners.formats.templates import GUIDANCE

SCHEMA_ROOT = Path(__file__).resolve().parent / "schemas"
SCHEMA_SUFFIXES = (".xsd", ".xml", ".md")
BUNDLE_NAME = "medbiq_schemas.zip"


@cache
def schema_files() -> tuple[str, ...]:
    """Every schema file by its path under SCHEMA_ROOT ("medbiq/member/v2/member.xsd")."""
    return tuple(
        sorted(
            path.relative_to(SCHEMA_ROOT).as_posix()
            for path in SCHEMA_ROOT.rglob("*")
            if path.is_file() and path.suffix in SCHEMA_SUFFIXES
        )
    )


@cache
def schema_bundle() -> bytes:
    """All the schema files in one zip, laid out as on ns.medbiq.org."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in schema_files():
            bundle.write(SCHEMA_ROOT / name, arcname=name)
    return buffer.getvalue()


def _columns(
    columns: tuple[tuple[str, str], ...], guidance: dict[str, str]
) -> list[dict[str, str]]:
    return [
        {"number": str(index), "title": title, "guidance": guidance.get(name, "")}
        for index, (name, title) in enumerate(columns, start=1)
    ]


@require_GET
def technical_information(request: HttpRequest) -> HttpResponse:
    context = {
        "board_columns": _columns(columns_for("board"), GUIDANCE),
        "rems_columns": _columns(columns_for("rems"), GUIDANCE),
        "activity_columns": _columns(activity_table.COLUMNS, activity_table.GUIDANCE),
        "report_columns": REPORT_COLUMNS,
        "schemas": [name for name in schema_files() if name.endswith(".xsd")],
        "bundle_name": BUNDLE_NAME,
        "max_records": f"{settings.UPLOAD_MAX_RECORDS:,}",
        "max_megabytes": f"{settings.UPLOAD_MAX_BYTES / (1024 * 1024):g}",
        "retention_days": settings.UPLOAD_RETENTION.days,
    }
    return render(request, "uploads/technical.html", context)


@require_GET
def schema_download(request: HttpRequest, name: str) -> FileResponse:
    """One schema file; only names of the listed files are served (no path is ever joined)."""
    if name not in schema_files():
        raise Http404("No such schema.")
    content_type = "text/markdown; charset=utf-8" if name.endswith(".md") else "application/xml"
    return FileResponse(
        (SCHEMA_ROOT / name).open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=Path(name).name,
    )


@require_GET
def schema_bundle_download(request: HttpRequest) -> HttpResponse:
    """ "Download XML Schema": every schema file in one zip."""
    return HttpResponse(
        schema_bundle(),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{BUNDLE_NAME}"'},
    )
