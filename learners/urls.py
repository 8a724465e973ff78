from __future__ import annotations

from django.urls import path

from learners import views

app_name = "learners"

urlpatterns = [
    path("activities/", views.activity_summary, name="activity_summary"),
    path("activities/<str:activity_id>/", views.activity_detail, name="activity_detail"),
    path("learners/search/", views.learner_search, name="learner_search"),
]
