"""The worker's log leaves out the routine sweeps' INFO lines, and keeps everything else."""

from __future__ import annotations

import logging

import pytest

from portal.quietlog import TASK_LOGGERS, quiet_routine_tasks


def _emitted(logger_name: str, level: int, message: str, *args: object) -> bool:
    logger = logging.getLogger(logger_name)
    seen: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Catch()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.log(level, message, *args)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return bool(seen)


@pytest.fixture(autouse=True)
def quiet() -> None:
    quiet_routine_tasks()


@pytest.mark.parametrize("logger_name", TASK_LOGGERS)
def test_it_drops_the_info_lines_of_the_recovery_sweep(logger_name: str) -> None:
    assert not _emitted(
        logger_name, logging.INFO, "Task %s[%s] received", "uploads.recover_stuck_uploads", "1"
    )


def test_it_keeps_the_lines_of_an_upload_being_processed() -> None:
    assert _emitted(
        "celery.app.trace", logging.INFO, "Task %s[%s] succeeded", "uploads.process_upload", "2"
    )


def test_it_keeps_a_sweep_that_failed() -> None:
    assert _emitted(
        "celery.app.trace",
        logging.ERROR,
        "Task %s[%s] raised",
        "uploads.recover_stuck_uploads",
        "3",
    )
