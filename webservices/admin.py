"""Admins see every provider's web-service calls (read-only: the log is a record)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webservices.models import WebServiceCall


@admin.register(WebServiceCall)
class WebServiceCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "method", "http_status", "status_code", "codes", "provider", "username",
        "duration_ms",
    ]  # fmt: skip
    list_filter = ["method", "http_status", "status_code", "created_at"]
    search_fields = ["username", "codes", "path", "provider__accme_id", "provider__name"]
    date_hierarchy = "created_at"
    list_select_related = ["provider"]
    readonly_fields = [field.name for field in WebServiceCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
