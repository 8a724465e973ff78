from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from emails.models import Email


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to", "subject", "key", "about"]
    readonly_fields = [f.name for f in Email._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
