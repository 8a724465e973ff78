from __future__ import annotations

from django.apps import AppConfig


class WebservicesConfig(AppConfig):
    name = "webservices"
    verbose_name = "PARS web services"
