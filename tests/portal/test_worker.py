"""A task dispatched from the web process runs in a separate worker process."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import AuthThrottle
from portal.tasks import purge_auth_failures
from tests.worker import celery_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_runs_a_dispatched_task_in_a_real_worker_process() -> None:
    now = timezone.now()
    scope = AuthThrottle.Scope.LOGIN
    old = AuthThrottle.objects.create(
        scope=scope, key="ip:old", window_start=now - timedelta(days=2)
    )
    recent = AuthThrottle.objects.create(scope=scope, key="ip:recent", window_start=now)
    queue = f"test-{uuid.uuid4().hex[:8]}"

    with celery_worker(queue) as worker:
        purge_auth_failures.apply_async(queue=queue)
        done = wait_for(lambda: not AuthThrottle.objects.filter(pk=old.pk).exists(), timeout=45)
        assert worker.poll() is None, "the worker process died"

    assert done, "the worker did not run the task"
    assert AuthThrottle.objects.filter(pk=recent.pk).exists()
