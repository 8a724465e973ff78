from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from uploads.models import Upload, UploadEvent


class UploadEventInline(admin.TabularInline):
    model = UploadEvent
    extra = 0
    fields = ["created_at", "type", "message", "data"]
    readonly_fields = fields
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
