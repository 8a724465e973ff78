"""The cyclic garbage collector paused around bulk work, and left as it was found."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from portal.collector import collector_paused


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()


@pytest.mark.usefixtures("collector_restored")
def test_it_pauses_the_collector_and_runs_it_again_after_nested_blocks() -> None:
    gc.enable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one found it
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_it_runs_the_collector_again_when_the_block_fails() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("bulk work failed")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_it_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
