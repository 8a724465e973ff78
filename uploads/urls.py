from __future__ import annotations

from django.urls import path

from uploads import views

app_name = "uploads"

urlpatterns = [
    path("", views.upload_new, name="new"),
    path("history/", views.upload_history, name="history"),
]
