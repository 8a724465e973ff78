from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from uploads.models import Upload, UploadEvent
from uploads.refusals import UploadRefused
from uploads.services import upload_cancel, upload_rerun


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
    readonly_fields = [f.name for f in Upload._meta.fields]
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
