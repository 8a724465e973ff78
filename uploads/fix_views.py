"""Fix rejected rows in the browser: the grid of the rows still to fix, and sending the changed ones.

Thin: scope to the user's provider (another provider's upload is a 404), read the rows and call
uploads/corrections.py; what a row's values mean is for the engine, which judges the new upload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from learners.engine.results import RowError
from learners.formats.base import Columns, columns_for
from portal.access import provider_required
from portal.paging import page_of
from uploads.corrections import (
    FixRow,
    chain_open_rows,
    chain_root,
    chain_state,
    code_counts,
    fix_groups,
    is_fixable,
    running_correction,
    upload_correct,
)
from uploads.models import Upload
from uploads.refusals import Refusal, UploadRefused

# 25 rows of 16 cells stay well under Django's 1,000 fields a request may post.
ROWS_PER_PAGE = 25
CELL = "cell"
# After these refusals the page shows the rows as they are now, not what was typed.
FRESH_AFTER = (Refusal.FIX_STALE, Refusal.NOTHING_TO_FIX)


@dataclass(frozen=True)
class GridCell:
    name: str  # the input's name: cell.<row key>.<field>
    header: str
    value: str
    original: str
    errors: list[RowError]


@dataclass(frozen=True)
class GridRow:
    number: int
    row: FixRow
    origin: str  # the correction that sent it again, when not the first upload
    cells: list[GridCell]

    @property
    def changed(self) -> bool:
        return any(cell.value != cell.original for cell in self.cells)


@dataclass(frozen=True)
class GridGroup:
    code: str
    message: str
    total: int  # rows of the code on every page
    rows: list[GridRow]


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = HTTPStatus.SEE_OTHER
    return response


def _chain_upload(request: HttpRequest, upload_id: int) -> Upload:
    provider = request.provider  # type: ignore[attr-defined]
    return get_object_or_404(
        Upload.objects.for_provider(provider).select_related("corrects"), pk=upload_id
    )


@require_http_methods(["GET", "POST"])
@provider_required
def upload_fix(request: HttpRequest, upload_id: int) -> HttpResponse:
    """GET: the rows still to fix; POST: send the changed ones as a correcting upload."""
    upload = _chain_upload(request, upload_id)
    root = chain_root(upload)
    if root.pk != upload.pk:  # every correction's rows are fixed on the first upload's page
        return _see_other(reverse("uploads:fix", args=[root.pk]))
    if not is_fixable(root):
        raise Http404("Only a processed upload's rejected rows can be fixed in the browser.")
    if request.method == "GET":
        return _render(request, root)
    edits = posted_edits(request.POST)
    try:
        intake = upload_correct(
            provider=request.provider,  # type: ignore[attr-defined]
            user=request.user,
            root=root,
            state=request.POST.get("state", ""),
            edits=edits,
        )
    except UploadRefused as refusal:
        kept = {} if refusal.refusal in FRESH_AFTER else edits
        return _render(request, root, refusal=refusal, edits=kept, status=refusal.status)
    # A possible duplicate waits for its uploader's answer on its own page, as any upload.
    return _see_other(reverse("uploads:detail", args=[intake.upload.pk]))


def posted_edits(data: QueryDict) -> dict[str, dict[str, str]]:
    """`cell.<row key>.<field>` inputs → {row key: {field: value}}; other names are ignored."""
    edits: dict[str, dict[str, str]] = {}
    for name in data:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == CELL:
            edits.setdefault(parts[1], {})[parts[2]] = str(data.get(name, ""))
    return edits


def _render(
    request: HttpRequest,
    root: Upload,
    *,
    refusal: UploadRefused | None = None,
    edits: Mapping[str, Mapping[str, str]] | None = None,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    rows = chain_open_rows(root)
    corrections = list(root.corrections.visible().order_by("pk"))
    page = page_of(request, rows, ROWS_PER_PAGE)
    first = page.start_index() if rows else 1
    origins = {c.pk: f"sent again in {c.original_name}" for c in corrections}
    columns = columns_for(root.program)
    grid_rows = [
        GridRow(
            first + i,
            row,
            origins.get(row.upload_id, ""),
            _cells(row, (edits or {}).get(row.key, {}), columns),
        )
        for i, row in enumerate(page.object_list)
    ]
    context = {
        "nav": "uploads",
        "root": root,
        "page": page,
        "groups": _groups(rows, grid_rows),
        "codes": code_counts(rows),
        "headers": [title for _, title in columns],
        "state": chain_state(root),
        "running": running_correction(root, request.user),
        "corrections": corrections,
        "refusal": refusal,
    }
    return render(request, "uploads/fix.html", context, status=status)


def _cells(row: FixRow, typed: Mapping[str, str], columns: Columns) -> list[GridCell]:
    return [
        GridCell(
            name=f"{CELL}.{row.key}.{name}",
            header=header,
            value=typed.get(name, row.values[name]),
            original=row.values[name],
            errors=row.faults.get(name, []),
        )
        for name, header in columns
    ]


def _groups(rows: Sequence[FixRow], shown: Sequence[GridRow]) -> list[GridGroup]:
    totals = {group.code: len(group.rows) for group in fix_groups(rows)}
    by_key = {grid_row.row.key: grid_row for grid_row in shown}
    return [
        GridGroup(
            group.code, group.message, totals[group.code], [by_key[r.key] for r in group.rows]
        )
        for group in fix_groups([grid_row.row for grid_row in shown])
    ]
