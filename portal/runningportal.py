"""`runportal` as a child process, watched from outside (the soak and the tests use it)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.conf import settings

from portal.httpsession import PortalSession

STARTED = re.compile(r"runportal: Started the (Celery worker|Celery beat) \(pid (\d+)\)")


class RunningPortal:
    """`manage.py runportal 127.0.0.1:<port>` in a session of its own, its output in `log_path`."""

    def __init__(self, *, port: int, env: Mapping[str, str], log_path: Path) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        argv = [sys.executable, "manage.py", "runportal", f"127.0.0.1:{port}"]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=settings.BASE_DIR,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        session = PortalSession(self.base_url)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"runportal exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                if session.get("/login/").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        raise RuntimeError(f"runportal did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def started(self, name: str) -> list[int]:
        """Pids of every start of the child `name` ("Celery worker", "Celery beat"), in order."""
        return [int(pid) for child, pid in STARTED.findall(self.log()) if child == name]

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl-C, as a terminal sends it; returns runportal's exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def sessions(self) -> set[int]:
        """runportal's session and each child's: every process of this run is in one of them."""
        return {self.process.pid, *self.started("Celery worker"), *self.started("Celery beat")}


def live_processes_in(sessions: Iterable[int]) -> list[int]:
    """Linux: the pids of processes (zombies aside) whose session id is one of `sessions`."""
    wanted = set(sessions)
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # gone meanwhile
        state, session = fields[0], int(fields[3])
        if session in wanted and state != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)
