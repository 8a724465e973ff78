"""Concurrent failed authentications: the login and web-service throttles hold at their limit.

Twenty requests with a wrong password arrive at once, from one address for one account. Counting
the failures first and inserting them afterwards let about twice the limit through; counted in
one conditional UPDATE each, exactly `limit` passwords are checked and every other request is
refused as throttled.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learners.sandbox import seed_sandbox
from portal.models import AuthThrottle
from portal.throttle import attempt_begin, throttle_purge
from tests.factories import UserFactory
from tests.webservices.conftest import BY_CREDIT_ID, TODAY, fixture, post
from webservices.auth import forget_verified

LIMIT = 5
CALLERS = 20


def at_once(call: Callable[[], int], callers: int = CALLERS) -> Counter[int]:
    """Run `call` in `callers` threads released together; the HTTP statuses they got."""
    start = threading.Barrier(callers)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait()
        try:
            status = call()
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_login_throttle_at_its_limit_under_concurrency(settings: Any) -> None:
    settings.THROTTLE_MAX_FAILURES = LIMIT
    UserFactory(username="staff@aaa.test", password="correct-horse-battery")

    def wrong_password() -> int:
        client = Client(REMOTE_ADDR="203.0.113.7")
        data = {"username": "staff@aaa.test", "password": "guess"}
        return client.post(reverse("login"), data).status_code

    statuses = at_once(wrong_password)

    assert statuses == Counter({400: LIMIT, 429: CALLERS - LIMIT})
    row = AuthThrottle.objects.get(key__startswith="account:staff@aaa.test")
    assert (row.failures, row.in_flight) == (LIMIT, 0)


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_web_service_throttle_at_its_limit_under_concurrency(
    settings: Any,
) -> None:
    settings.THROTTLE_MAX_FAILURES = LIMIT
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_sandbox(today=TODAY)
    forget_verified()
    body = fixture("status_by_credit_id_request.xml").replace("pars-ws-demo", "guess")

    def wrong_password() -> int:
        return post(Client(), BY_CREDIT_ID, body).status_code

    statuses = at_once(wrong_password)

    assert statuses == Counter({403: LIMIT, 429: CALLERS - LIMIT})
    counted = AuthThrottle.objects.filter(scope=AuthThrottle.Scope.WEBSERVICE)
    assert sorted(counted.values_list("failures", "in_flight")) == [(LIMIT, 0), (LIMIT, 0)]


@pytest.mark.django_db(transaction=True)
def test_it_lets_a_burst_of_right_passwords_through_past_the_limit(settings: Any) -> None:
    """Checks still running hold the budget for a moment; right passwords wait, not fail."""
    settings.THROTTLE_MAX_FAILURES = LIMIT
    UserFactory(username="staff@aaa.test", password="correct-horse-battery")

    def right_password() -> int:
        client = Client(REMOTE_ADDR="203.0.113.7")
        data = {"username": "staff@aaa.test", "password": "correct-horse-battery"}
        return client.post(reverse("login"), data).status_code

    assert at_once(right_password, callers=3 * LIMIT) == Counter({302: 3 * LIMIT})
    assert set(AuthThrottle.objects.values_list("failures", "in_flight")) == {(0, 0)}


@pytest.mark.django_db
def test_it_refuses_a_spent_key_at_once_and_counts_no_other_key(settings: Any) -> None:
    settings.THROTTLE_MAX_FAILURES = 2
    scope = AuthThrottle.Scope.LOGIN
    AuthThrottle.objects.create(scope=scope, key="ip:1", window_start=timezone.now(), failures=2)

    assert not attempt_begin(scope=scope, limits={"ip:1": 2, "ip:2": 2})
    assert AuthThrottle.objects.get(key="ip:2").in_flight == 0


@pytest.mark.django_db
def test_it_starts_a_new_window_once_the_old_one_ended(settings: Any) -> None:
    scope = AuthThrottle.Scope.LOGIN
    start = timezone.now()
    AuthThrottle.objects.create(scope=scope, key="ip:1", window_start=start, failures=2)

    with time_machine.travel(start + settings.THROTTLE_WINDOW + timedelta(seconds=1)):
        assert attempt_begin(scope=scope, limits={"ip:1": 2})
        row = AuthThrottle.objects.get(key="ip:1")
        assert (row.failures, row.in_flight) == (0, 1)
        assert throttle_purge() == 0

    with time_machine.travel(start + 3 * settings.THROTTLE_WINDOW):
        assert throttle_purge() == 1
