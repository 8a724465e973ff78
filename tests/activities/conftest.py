"""Fixtures for the activity tests: a fixed today, and activities added through the service."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from activities.models import Activity
from activities.services import activity_submit
from portal.models import Provider
from tests.activities.makers import TODAY, good_activity


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    """22 November 2026: 2025 and 2026 are open reporting years, 2024 is closed."""
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=ZoneInfo("America/Chicago"))
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture
def add_activity(provider: Provider) -> Callable[..., Activity]:
    """Add an activity of `provider` through the service (valid unless changed)."""

    def add(n: int = 1, *, to: Provider | None = None, **changes: Any) -> Activity:
        item = dataclasses.replace(good_activity(n), **changes)
        outcome = activity_submit(provider=to or provider, item=item, today=TODAY)
        assert outcome.accepted, outcome.errors
        assert outcome.activity is not None
        return outcome.activity

    return add
