from __future__ import annotations

from django.urls import path, register_converter

from activities import views
from learners.urls import ExportFormatConverter

register_converter(ExportFormatConverter, "activity_export")

app_name = "activities"

urlpatterns = [
    path("", views.activity_list_view, name="list"),
    path("export.<activity_export:fmt>", views.activity_export, name="export"),
    path("new/", views.activity_new, name="new"),
    path("<str:activity_id>/", views.activity_detail, name="detail"),
    path("<str:activity_id>/edit/", views.activity_edit, name="edit"),
    path("<str:activity_id>/moc/", views.activity_moc, name="moc"),
    path("<str:activity_id>/moc/<str:board>/remove/", views.activity_moc_remove, name="moc_remove"),
    path("<str:activity_id>/rems/", views.activity_rems, name="rems"),
    path("<str:activity_id>/delete/", views.activity_delete_view, name="delete"),
]
