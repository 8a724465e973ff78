"""What `make run` starts beside the web server: a Celery worker and beat, kept up.

`runportal` serves the portal in its own process and runs the worker and beat as child
processes. A child that dies is started again (after a pause that grows while it keeps dying),
with a line in the log. Asked to stop (Ctrl-C, SIGTERM, SIGHUP), runportal stops both children
and waits for them; whatever is left of a child after its deadline is killed, so nothing stays
behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import CommandError
from django.core.management.commands.runserver import naiveip_re

# A worker stops within 10 s of SIGTERM; past this, what is left of it is killed.
STOP_DEADLINE = 12.0
# How often the supervisor looks at its children.
CHECK_INTERVAL = 0.5
# A child that ran this long before dying is restarted at once; one that dies sooner waits
# 1, 2, 4 … up to MAX_BACKOFF seconds, so a crash loop doesn't spin.
STABLE_AFTER = 60.0
MAX_BACKOFF = 30.0

Log = Callable[[str], None]


def _address(addrport: str) -> tuple[str, bool, int]:
    """(host as written, IPv6?, port) of runserver's `addrport` syntax."""
    match = naiveip_re.fullmatch(addrport)
    if match is None:
        raise CommandError(f'"{addrport}" is not a valid port number or address:port pair.')
    addr, _ipv4, ipv6, _fqdn, port = match.groups()
    return addr or "", bool(ipv6), int(port)


def site_url_for(addrport: str) -> str:
    """The URL for links in emails when runportal serves `addrport`."""
    addr, ipv6, port = _address(addrport)
    if addr in {"", "0", "0.0.0.0"}:  # noqa: S104 (read, not bound)
        host = "127.0.0.1"  # every interface: this machine's own address is one of them
    elif ipv6:
        host = "[::1]" if addr == "[::]" else addr
    else:
        host = addr
    return f"http://{host}:{port}"


def check_can_listen(addrport: str) -> None:
    """Refuse an address the web server could not listen on, before any child is started.

    runserver leaves with `os._exit` when it can't bind, which would strand the children.
    """
    addr, ipv6, port = _address(addrport)
    host = {"": "127.0.0.1", "0": "0.0.0.0"}.get(addr, addr.strip("[]"))  # noqa: S104
    family = socket.AF_INET6 if ipv6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise CommandError(f"Can't serve on {addrport}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]


def celery_children(*, var_dir: Path) -> list[ChildSpec]:
    """The worker and beat of a laptop run."""
    celery = [sys.executable, "-m", "celery", "-A", "portal"]
    worker = [
        *celery, "worker", "--loglevel", "INFO", "--concurrency", "2",
        "--without-gossip", "--without-mingle", "--hostname", "portal@%h",
    ]  # fmt: skip
    beat = [
        *celery, "beat", "--loglevel", "INFO",
        "--schedule", str(var_dir / "celerybeat-schedule"),
    ]  # fmt: skip
    return [ChildSpec("Celery worker", worker), ChildSpec("Celery beat", beat)]


def child_environment(base: Mapping[str, str], *, site_url: str) -> dict[str, str]:
    """The children's environment: ours, with bounded worker shutdown and the served URL."""
    env = dict(base)
    # SIGTERM: finish or hand back running tasks within the grace period, then exit
    # (see portal/worker_shutdown.py); without it Celery waits for every task to end.
    env["REMAP_SIGTERM"] = "SIGQUIT"
    if not env.get("SITE_URL"):
        env["SITE_URL"] = site_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Starts the children, restarts any that dies, stops them all on `stop()`."""

    specs: list[ChildSpec]
    env: dict[str, str]
    log: Log
    cwd: Path | None = None
    stop_deadline: float = STOP_DEADLINE
    _children: list[_Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._children = [_Child(spec) for spec in self.specs]
        for child in self._children:
            self._spawn(child)
        self._thread = threading.Thread(target=self._watch, name="runportal-supervisor")
        self._thread.daemon = True
        self._thread.start()

    def pids(self) -> dict[str, int]:
        return {c.spec.name: c.process.pid for c in self._children if c.process is not None}

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        running = [c for c in self._children if c.process is not None]
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                self.log(f"Stopping the {child.spec.name} (pid {child.process.pid})")
                with suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_deadline
        for child in running:
            self._reap(child, deadline)

    def _spawn(self, child: _Child) -> None:
        # A session of its own: the terminal's Ctrl-C reaches runportal only, which stops the
        # children in order; and the child's whole process group can be cleaned up after it.
        child.process = subprocess.Popen(
            child.spec.argv, env=self.env, cwd=self.cwd, start_new_session=True
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        self.log(f"Started the {child.spec.name} (pid {child.process.pid})")

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_INTERVAL):
            for child in self._children:
                self._check(child)

    def _check(self, child: _Child) -> None:
        process = child.process
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._spawn(child)
            return
        if process is None or process.poll() is None:
            return
        _kill_group(process.pid)  # pool processes its death left behind
        lived = now - child.started_at
        child.failures = 0 if lived >= STABLE_AFTER else child.failures + 1
        delay = min(MAX_BACKOFF, 2.0 ** (child.failures - 1)) if child.failures else 0.0
        self.log(
            f"The {child.spec.name} (pid {process.pid}) {_how_it_ended(process.returncode)} "
            f"after {lived:.0f} s; starting it again" + (f" in {delay:.0f} s" if delay else "")
        )
        child.restart_at = now + delay

    def _reap(self, child: _Child, deadline: float) -> None:
        process = child.process
        assert process is not None
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.log(f"The {child.spec.name} (pid {process.pid}) did not stop in time: killing it")
            _kill_group(process.pid)
            process.wait()
        _kill_group(process.pid)
        self.log(f"The {child.spec.name} (pid {process.pid}) stopped")


def _kill_group(pgid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _how_it_ended(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"
