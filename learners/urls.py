from __future__ import annotations

from django.urls import path, register_converter

from learners import views


class ExportFormatConverter:
    """Only the formats an export is written in: anything else is a 404."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormatConverter, "export")

app_name = "learners"

urlpatterns = [
    path("activities/", views.activity_summary, name="activity_summary"),
    path(
        "activities/export.<export:fmt>",
        views.activity_summary_export,
        name="activity_summary_export",
    ),
    path("activities/<str:activity_id>/", views.activity_detail, name="activity_detail"),
    path("activities/<str:activity_id>/learners/new/", views.manual_entry, name="manual_entry"),
    path("learners/new/", views.manual_entry_choose, name="manual_entry_choose"),
    path(
        "activities/<str:activity_id>/records/<int:record_id>/delete/",
        views.record_delete,
        name="record_delete",
    ),
    path("learners/search/", views.learner_search, name="learner_search"),
    path(
        "learners/search/export.<export:fmt>",
        views.learner_search_export,
        name="learner_search_export",
    ),
    path("learners/match/", views.learner_match, name="learner_match"),
]
