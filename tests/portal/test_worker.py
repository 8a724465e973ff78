"""A task dispatched from the web process runs in a separate worker process."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import AuthFailure
from portal.tasks import purge_auth_failures
from tests.worker import celery_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_runs_a_dispatched_task_in_a_real_worker_process() -> None:
    old = AuthFailure.objects.create(scope=AuthFailure.Scope.LOGIN, key="user:old")
    AuthFailure.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    recent = AuthFailure.objects.create(scope=AuthFailure.Scope.LOGIN, key="user:recent")
    queue = f"test-{uuid.uuid4().hex[:8]}"

    with celery_worker(queue) as worker:
        purge_auth_failures.apply_async(queue=queue)
        done = wait_for(lambda: not AuthFailure.objects.filter(pk=old.pk).exists(), timeout=45)
        assert worker.poll() is None, "the worker process died"

    assert done, "the worker did not run the task"
    assert AuthFailure.objects.filter(pk=recent.pk).exists()
