"""PARS's REST paths under /services/, so an integrator only swaps the base URL.

WCF matches these paths case-insensitively and tolerates a trailing slash; so do we.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, re_path

from webservices import views

app_name = "webservices"


def _case_insensitive(path: str) -> str:
    # Django cannot reverse an inline (?i) flag; a class per letter matches any case and still
    # reverses to the path as PARS spells it (the first member of each class).
    return "".join(f"[{c}{c.swapcase()}]" if c.isalpha() else re.escape(c) for c in path)


def _method(path: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
    return re_path("^" + _case_insensitive(path) + "/?$", view, name=name)


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
    # The integration notes call Learner Match here, in the learner service.
    _method(
        "ACCMELearnerService.svc/IACCMELearnerServiceREST/LearnerMatchRequest",
        views.learner_match_request,
        "learner_match_request",
    ),
    _method(
        "LearnerMatchService.svc/ILearnerMatchServiceREST/GetLearnerMatch",
        views.get_learner_match,
        "get_learner_match",
    ),
    re_path(r"^(?P<path>.*)$", views.unknown_method, name="unknown_method"),
]
