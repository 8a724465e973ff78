"""The Celery application: configured from Django's settings (the CELERY_ namespace)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

from portal.worker_shutdown import install_stop_deadline

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A worker asked to stop stops within seconds, even when a task is stuck in a database call.
worker_ready.connect(install_stop_deadline)
