"""The production stack run as `docker-compose.yml` and the `Dockerfile` describe it, for tests.

Docker does not run here, so the tests run what the files say with this checkout: the
Dockerfile's `collectstatic` step, and the web service's gunicorn command with the environment the
compose file gives it.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.stack_files import (
    ROOT,
    dockerfile_env,
    dockerfile_run,
    service_command,
    service_environment,
)


def production_environment(**overrides: str) -> dict[str, str]:
    """The environment of a production process: DEBUG off, a strong key, a real host name."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "SANDBOX"))
    }
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="pars.example.org",
        VAR_DIR=environment.get("VAR_DIR", str(ROOT / "var")),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    environment.update(overrides)
    return environment


def stack_environment(service: str, **overrides: str) -> dict[str, str]:
    """What `service` runs with: the image's ENV, then compose's, then this machine's `overrides`.

    PATH and the like come from this process, with this virtualenv's programs first.
    """
    host_env = {"SECRET_KEY": secrets.token_urlsafe(64)}
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "SANDBOX", "DEBUG"))
    }
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    return {
        **base,
        **dockerfile_env(),
        **service_environment(service, host_env),
        **overrides,
    }


def collect_static(static_root: Path, environment: Mapping[str, str]) -> None:
    """The Dockerfile's collectstatic step, into `static_root`."""
    script = dockerfile_run("collectstatic")
    result = subprocess.run(
        ["sh", "-c", script],
        cwd=ROOT,
        env={**environment, "STATIC_ROOT": str(static_root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (static_root / "staticfiles.json").exists(), result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bound_to(command: list[str], address: str) -> list[str]:
    """`command` with its `--bind` (or `-b`) value replaced by `address`."""
    for flag in ("--bind", "-b"):
        if flag in command:
            at = command.index(flag) + 1
            return [*command[:at], address, *command[at + 1 :]]
    raise AssertionError(f"no --bind in {command}")


@contextmanager
def web_server(environment: Mapping[str, str], log: Path) -> Iterator[int]:
    """The web service's command (gunicorn) on a free loopback port; yields the port.

    gunicorn's own output goes to `log` (a pipe nobody reads could fill and stall it).
    """
    port = free_port()
    command = bound_to(service_command("web"), f"127.0.0.1:{port}")
    assert command[0] == "gunicorn", command
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *command[1:]],
            cwd=ROOT,
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_it_answers(port, process, log)
        yield port
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing to finish here
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_it_answers(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/", headers={"Host": "localhost"})
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer on port {port} within {timeout} s")


@dataclass(frozen=True)
class Stack:
    """The web service running: its port, its SECRET_KEY and where its static files were collected."""

    port: int
    secret_key: str
    static_root: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def get(self, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
        """GET `path` as a browser on this machine asks for it (Host: localhost)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": f"localhost:{self.port}", **headers})
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()


@contextmanager
def production_stack(root: Path, *, database_url: str, broker_url: str) -> Iterator[Stack]:
    """Static files collected as the image collects them, and gunicorn as the web service runs it.

    With the compose file's environment, but this machine's database, broker and folders.
    """
    environment = stack_environment(
        "web",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        VAR_DIR=str(root / "var"),
        MEDIA_ROOT=str(root / "media"),
        STATIC_ROOT=str(root / "static"),
    )
    collect_static(root / "static", environment)
    with web_server(environment, root / "gunicorn.log") as port:
        yield Stack(port, environment["SECRET_KEY"], root / "static")


def queued_upload(user: Any) -> Any:
    """An upload of `user`'s provider waiting for a worker: the processing page shows it."""
    from uploads.models import Upload, UploadStatus

    return Upload.objects.create(
        provider=user.membership.provider,
        user=user,
        original_name="learners.txt",
        size=120,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.QUEUED,
    )
