from __future__ import annotations

from django.urls import path

from uploads import fix_views, views

app_name = "uploads"

urlpatterns = [
    path("", views.upload_new, name="new"),
    path("history/", views.upload_history, name="history"),
    path("<int:upload_id>/", views.upload_detail, name="detail"),
    path("<int:upload_id>/status/", views.upload_status, name="status"),
    path("<int:upload_id>/history-row/", views.upload_history_row, name="history_row"),
    path("<int:upload_id>/confirm/", views.upload_confirm_view, name="confirm"),
    path("<int:upload_id>/cancel/", views.upload_cancel_view, name="cancel"),
    path("<int:upload_id>/fix/", fix_views.upload_fix, name="fix"),
    path("<int:upload_id>/summary.pdf", views.upload_summary, name="summary_pdf"),
    path(
        "<int:upload_id>/rejected.txt", views.upload_rejected, {"fmt": "txt"}, name="rejected_txt"
    ),
    path(
        "<int:upload_id>/rejected.csv", views.upload_rejected, {"fmt": "csv"}, name="rejected_csv"
    ),
    path(
        "templates/<str:program>.<str:ext>",
        views.template_download,
        name="template",
    ),
]
