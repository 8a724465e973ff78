from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import password_reset, views
from uploads import technical

admin.site.site_header = "PARS Portal administration"
admin.site.site_title = "PARS Portal admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", password_reset.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        password_reset.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("technical/", technical.technical_information, name="technical_information"),
    path(
        f"technical/{technical.BUNDLE_NAME}",
        technical.schema_bundle_download,
        name="schema_bundle",
    ),
    path("technical/schemas/<path:name>", technical.schema_download, name="schema_file"),
    path("admin/", admin.site.urls),
    path("", include("learners.urls")),
    path("activity/", include("activities.urls")),
    path("uploads/", include("uploads.urls")),
    path("services/", include("webservices.urls")),
    path("web-services/", include("webservices.page_urls")),
    path("sandbox/", include("sandbox.urls")),
]
