from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from learners.lifecycle import board_cycle_run
from learners.models import (
    ActivityFormat,
    Board,
    CompletionRecord,
    CreditType,
    Learner,
    LearnerBoardId,
    LearnerLicense,
)


class CreditTypeInline(admin.TabularInline):
    model = CreditType
    extra = 0


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [CreditTypeInline]


@admin.register(CreditType)
class CreditTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "board"]
    list_filter = ["board"]
    search_fields = ["name", "board__code"]


@admin.register(ActivityFormat)
class ActivityFormatAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class LearnerLicenseInline(admin.TabularInline):
    model = LearnerLicense
    extra = 0


class LearnerBoardIdInline(admin.TabularInline):
    model = LearnerBoardId
    extra = 0


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "last_name",
        "first_name",
        "birth_month",
        "birth_day",
        "npi",
        "me_number",
        "us_licensed",
    ]
    list_filter = ["us_licensed", "board_ids__board"]
    search_fields = [
        "last_name",
        "first_name",
        "npi",
        "me_number",
        "licenses__license_id",
        "board_ids__diplomate_id",
    ]
    inlines = [LearnerLicenseInline, LearnerBoardIdInline]


@admin.register(CompletionRecord)
class CompletionRecordAdmin(admin.ModelAdmin):
    """Records are never edited (PARS: delete and add again), so the admin only reads them."""

    list_display = [
        "credit_id",
        "provider",
        "activity",
        "learner",
        "completion_date",
        "board",
        "moc_points",
        "status",
        "source",
        "upload",
        "created_at",
    ]
    list_filter = ["status", "source", "board", "provider"]
    search_fields = ["credit_id", "activity__activity_id", "learner__last_name", "diplomate_id"]
    list_select_related = ["provider", "activity", "learner", "board", "upload"]
    date_hierarchy = "created_at"
    change_list_template = "learners/admin/completionrecord_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        run = self.admin_site.admin_view(require_POST(self.run_board_cycle_view))
        custom = [
            path("run-board-cycle/", run, name="learners_completionrecord_run_board_cycle"),
        ]
        return custom + super().get_urls()

    def run_board_cycle_view(self, request: HttpRequest) -> HttpResponse:
        """What the nightly job does, on demand: transmit, take the boards' answers, email."""
        if not request.user.is_superuser:  # type: ignore[union-attr]
            raise PermissionDenied
        summary = board_cycle_run(today=timezone.localdate())
        self.message_user(
            request,
            f"Board cycle run: {summary.transmitted} transmitted, {summary.approved} approved, "
            f"{summary.rejected} rejected, {summary.emails} rejection emails sent.",
            messages.SUCCESS,
        )
        return redirect("admin:learners_completionrecord_changelist")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
