"""Admin: uploads with their events, their files (downloaded through the admin, never /media/),
the records they stored or deleted and their rejected rows; Re-run and Cancel actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from learners.formats.base import columns_for
from uploads.models import Upload, UploadEvent
from uploads.refusals import UploadRefused
from uploads.rejected import RejectedRow, upload_rejected_rows
from uploads.services import upload_cancel, upload_rerun

# What the admin may download of an upload: the file as uploaded and the two reports.
DOWNLOADS = {
    "file": ("file", "the uploaded file"),
    "report_txt": ("report_file", "rejected rows (.txt)"),
    "report_csv": ("report_csv_file", "rejected rows (.csv)"),
}
REJECTED_ROWS_SHOWN = 200


class UploadEventInline(admin.TabularInline):
    model = UploadEvent
    extra = 0
    fields = ("created_at", "type", "message", "data")
    readonly_fields = ("created_at", "type", "message", "data")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "provider",
        "user",
        "file_type",
        "program",
        "mode",
        "status",
        "attempts",
        "total_records",
        "processed_records",
        "rejected_records",
        "created_at",
    ]
    list_filter = ["status", "file_type", "program", "mode", "duplicate_override"]
    search_fields = ["original_name", "sha256", "provider__accme_id", "user__email"]
    list_select_related = ["provider", "user"]
    fieldsets = [
        (None, {"fields": ["provider", "user", "original_name", "file_type", "program", "mode"]}),
        ("Status", {"fields": ["status", "error_message", "duplicate_override", "attempts"]}),
        (
            "Records",
            {
                "fields": [
                    "total_records",
                    "processed_records",
                    "rejected_records",
                    "progress_records",
                    "stored_records",
                    "deleted_records_link",
                ]
            },
        ),
        ("Files", {"fields": ["downloads", "size", "sha256", "files_removed_at"]}),
        ("Rejected rows", {"fields": ["rejected_rows", "corrects", "corrected_rows"]}),
        (
            "Times",
            {"fields": ["created_at", "queued_at", "started_at", "heartbeat_at", "finished_at"]},
        ),
    ]
    readonly_fields = [
        *(f.name for f in Upload._meta.fields),
        "stored_records",
        "deleted_records_link",
        "downloads",
        "rejected_rows",
    ]
    inlines = [UploadEventInline]
    actions = ["rerun_uploads", "cancel_uploads"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Re-run selected failed or cancelled uploads")
    def rerun_uploads(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        self._each(request, queryset, upload_rerun, "queued again")

    @admin.action(description="Cancel selected queued or processing uploads")
    def cancel_uploads(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        self._each(request, queryset, upload_cancel, "cancelled")

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Upload],
        service: Callable[..., Upload],
        done: str,
    ) -> None:
        by = request.user.get_username()
        for upload in queryset.order_by("pk"):
            try:
                service(upload_id=upload.pk, by=by)
            except UploadRefused as refusal:
                self.message_user(request, f"{upload}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{upload.original_name}: {done}.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        download = self.admin_site.admin_view(require_GET(self.download_view))
        custom = [
            path(
                "<int:upload_id>/download/<str:kind>/",
                download,
                name="uploads_upload_download",
            )
        ]
        return custom + super().get_urls()

    def download_view(self, request: HttpRequest, upload_id: int, kind: str) -> FileResponse:
        """An upload's stored file or report, to admins who may view uploads only."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # before the look-up: no telling which uploads exist
        upload = get_object_or_404(Upload, pk=upload_id)
        if kind not in DOWNLOADS:
            raise Http404("No such file.")
        stored: FieldFile = getattr(upload, DOWNLOADS[kind][0])
        if not stored or upload.files_removed_at is not None:
            raise Http404("This file is not stored (any more).")
        try:
            handle = stored.open("rb")
        except FileNotFoundError as exc:
            raise Http404("This file is no longer in storage.") from exc
        name = upload.original_name if kind == "file" else PurePath(str(stored.name)).name
        return FileResponse(handle, as_attachment=True, filename=name)

    @admin.display(description="Files")
    def downloads(self, upload: Upload) -> SafeString | str:
        links = [
            (reverse("admin:uploads_upload_download", args=[upload.pk, kind]), label)
            for kind, (field, label) in DOWNLOADS.items()
            if getattr(upload, field)
        ]
        if upload.files_removed_at is not None:
            return f"Removed on {upload.files_removed_at:%Y-%m-%d} (kept 30 days)."
        if not links:
            return "—"
        return format_html_join(" · ", '<a href="{}" download>Download {}</a>', links)

    @admin.display(description="Records stored")
    def stored_records(self, upload: Upload) -> SafeString:
        url = reverse("admin:learners_completionrecord_changelist")
        count = upload.records.count()
        return format_html(
            '<a href="{}?upload__id__exact={}">{} record{} stored by this upload</a>',
            url,
            upload.pk,
            count,
            "" if count == 1 else "s",
        )

    @admin.display(description="Records deleted")
    def deleted_records_link(self, upload: Upload) -> SafeString | str:
        count = upload.deleted_records.count()
        if not count:
            return "—"
        url = reverse("admin:learners_completionrecord_changelist")
        return format_html(
            '<a href="{}?deleted_by_uploads__id__exact={}">{} record{} deleted by this upload</a>',
            url,
            upload.pk,
            count,
            "" if count == 1 else "s",
        )

    @admin.display(description="Rows not processed")
    def rejected_rows(self, upload: Upload) -> SafeString | str:
        rows = upload_rejected_rows(upload)
        if rows is None:
            return "No report of rejected rows is stored." if upload.rejected_records else "—"
        shown = rows[:REJECTED_ROWS_SHOWN]
        more = len(rows) - len(shown)
        if upload.is_activities:
            table = _rejected_activities_table(shown)
        else:
            table = _rejected_rows_table(shown, program=upload.program)
        if more:
            return format_html("{}<p>… and {} more: download the report above.</p>", table, more)
        return table


# An activity's ids and title: the portal template's headers, or Template D's column numbers.
ACTIVITY_CELLS = (
    ("ACCME Activity ID", "2"), ("Provider Activity ID", "3"), ("Activity Title", "5")
)  # fmt: skip


def _rejected_activities_table(rows: list[RejectedRow]) -> SafeString:
    headers = [named for named, _ in ACTIVITY_CELLS]
    cells = [
        [row.cell(named) or row.cell(numbered) for named, numbered in ACTIVITY_CELLS]
        for row in rows
    ]
    return _rejected_table(headers, rows, cells)


def _rejected_rows_table(rows: list[RejectedRow], *, program: str) -> SafeString:
    titles = dict(columns_for(program))
    who = (
        [titles["learner_local_id"]]
        if program == "rems"
        else [titles["first_name"], titles["last_name"]]
    )
    shown = [titles["record_action"], titles["activity_id"], titles["completion_date"]]
    cells = [
        [*(row.cell(title) for title in shown), " ".join(row.cell(title) for title in who)]
        for row in rows
    ]
    return _rejected_table(
        ["Record Action", "ACCME Activity ID", "Completion Date", "Learner"], rows, cells
    )


def _rejected_table(
    headers: list[str], rows: list[RejectedRow], cells: list[list[str]]
) -> SafeString:
    """Each rejected row: its number, the cells that say which it is, its codes and messages."""
    head = format_html_join(
        "", "<th>{}</th>", ((h,) for h in ["#", *headers, "Error Codes", "Error Messages"])
    )
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "",
                    "<td>{}</td>",
                    (
                        (value,)
                        for value in (
                            row.number,
                            *row_cells,
                            ", ".join(row.codes),
                            format_html_join("", "<div>{}</div>", ((m,) for m in row.messages)),
                        )
                    ),
                ),
            )
            for row, row_cells in zip(rows, cells, strict=True)
        ),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)
