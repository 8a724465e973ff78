from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

admin.site.site_header = "PARS Portal administration"
admin.site.site_title = "PARS Portal admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("learners.urls")),
    path("activity/", include("activities.urls")),
    path("uploads/", include("uploads.urls")),
    path("services/", include("webservices.urls")),
]
