"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which makes Django believe it is
called from async code and refuse database access; the tests never share a connection with that
loop, so the guard is switched off for this package.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from learners.sandbox import DEMO_PASSWORD, PROVIDERS, seed_sandbox
from tests.worker import celery_worker

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DEMO_EMAIL = PROVIDERS[0].staff_email  # AAA Test Organization, 0001234
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the test item, so the page fixture knows whether to screenshot.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def sandbox(transactional_db: None, settings: Any) -> date:
    """The synthetic sandbox seeded for today (the live server and the worker use the real clock)."""
    # A fast hasher for the seeded accounts: the login screens, not PBKDF2, are under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    seed_sandbox(today=today)
    return today


@pytest.fixture
def page(
    browser: Any, live_server: Any, sandbox: date, request: pytest.FixtureRequest
) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    context.close()


@pytest.fixture
def login(page: Any) -> Callable[..., Any]:
    """Log in through the real form; returns the page on the home screen."""

    def log_in(email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> Any:
        page.goto("/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return log_in


class UploadWorker:
    """A real Celery worker for the upload tests, started on first need and kept for the package.

    Started lazily so that a test can first see an upload waiting for a worker, then watch the
    page follow the worker's progress.
    """

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.process: subprocess.Popen[bytes] | None = None
        # Messages left in the default queue by earlier runs belong to no upload of this run.
        from portal.celery import app

        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")

    def start(self) -> None:
        if self.process is None:
            self.process = self._stack.enter_context(
                celery_worker(
                    "celery",
                    extra_env={"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
                )
            )
        assert self.process.poll() is None, "the Celery worker process died"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Idle between tests: a warm shutdown would only wait seconds on the broker.
            self.process.kill()
        self._stack.close()
        self.process = None

    def restart(self) -> None:
        """A worker that knows nothing of earlier tests' databases: the engine keeps the boards
        it read for a minute, and each test's database gives them new ids."""
        self.stop()
        self.start()

    @contextmanager
    def held(self) -> Iterator[None]:
        """No worker runs inside the block (as when all are busy); one runs again after it."""
        self.stop()
        yield
        self.start()


# Package scope: the worker must be gone before other packages' tests run their own on the
# default queue, or it would take their messages.
@pytest.fixture(scope="package")
def upload_worker(django_db_setup: None) -> Iterator[UploadWorker]:
    worker = UploadWorker()
    yield worker
    worker.stop()


# -- Every page fits, reads and is accessible ----------------------------------------------------

WIDTHS = (1280, 375)
AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text(
    encoding="utf-8"
)
BLOCKING_IMPACTS = ("serious", "critical")
# Screenshots of the main screens for the README's user guide: written to docs/screenshots/ with
# UPDATE_SCREENSHOTS=1, else beside the other test artifacts.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else ARTIFACTS / "screens"
)


def overflow(page: Any) -> dict[str, Any]:
    """How far the page, and each table inside its box, is wider than the window.

    The grid of rows to fix (`table.grid`) is the one table made to scroll sideways in its box.
    """
    return page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth - innerWidth,
            tables: Array.from(document.querySelectorAll('main table:not(.grid)'))
                .map(t => t.scrollWidth - t.parentElement.clientWidth)
                .filter(extra => extra > 1),
        })"""
    )


def assert_fits(page: Any, where: str) -> None:
    """No sideways scrolling of the page, and no table cut off inside its box."""
    found = overflow(page)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (where, found)
    assert found["tables"] == [], (where, found)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in result if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (where, violations)


def save_screenshot(page: Any, name: str) -> Path:
    """A small PNG of what is in the window (palette colours: a few dozen kB)."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


@pytest.fixture
def csp_violations(page: Any) -> list[str]:
    """Console reports of anything the Content-Security-Policy refused (inline style or script)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused
