"""PARS's REST paths under /services/, so an integrator only swaps the base URL.

WCF matches these paths case-insensitively and tolerates a trailing slash; so do we.
"""

from __future__ import annotations

import re

from django.urls import URLPattern, re_path

from webservices import views

app_name = "webservices"


def _method(path: str, view: object, name: str) -> URLPattern:
    return re_path("(?i)^" + re.escape(path) + "/?$", view, name=name)  # type: ignore[arg-type]


urlpatterns: list[URLPattern] = [
    _method(
        "ACCMEService.svc/IACCMEServiceREST/SaveActivity", views.save_activity, "save_activity"
    ),
    _method("ACCMEService.svc/IACCMEServiceREST/GetActivity", views.get_activity, "get_activity"),
    _method(
        "ACCMELearnerService.svc/IACCMELearnerServiceREST/SaveLearnerActivity",
        views.save_learner_activity,
        "save_learner_activity",
    ),
    _method(
        "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByLearner",
        views.get_learner_status_by_learner,
        "get_learner_status_by_learner",
    ),
    _method(
        "ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId",
        views.get_learner_status_by_credit_id,
        "get_learner_status_by_credit_id",
    ),
    _method(
        "LearnerMatchService.svc/ILearnerMatchServiceREST/GetLearnerMatch",
        views.get_learner_match,
        "get_learner_match",
    ),
    re_path(r"^(?P<path>.*)$", views.unknown_method, name="unknown_method"),
]
