from __future__ import annotations

from django.urls import path

from learners.urls import ExportFormatConverter  # noqa: F401 - registers the "export" converter
from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("", views.sandbox_home, name="home"),
    path("test-learners.<export:fmt>", views.test_learners, name="test_learners"),
    path("board-cycle/", views.board_cycle, name="board_cycle"),
]
