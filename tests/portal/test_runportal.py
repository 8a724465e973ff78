"""`make run` (runportal): web server, worker and beat; a dead worker comes back; Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management.base import CommandError
from django.utils import timezone

from learners.filegen import generate_learner_file
from learners.sandbox import DEMO_PASSWORD, PROVIDERS, seed_sandbox
from portal.httpsession import PortalSession, upload_id_of
from portal.localrun import (
    ChildSpec,
    Supervisor,
    check_can_listen,
    child_environment,
    site_url_for,
)
from portal.models import Provider
from portal.runningportal import RunningPortal, live_processes_in
from tests.worker import test_database_url as database_url_of_the_tests
from tests.worker import wait_for
from uploads.models import FINAL_STATUSES, Upload, UploadStatus

TIMEOUT = 60


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("8101", "http://127.0.0.1:8101"),
        ("127.0.0.1:8101", "http://127.0.0.1:8101"),
        ("0.0.0.0:8101", "http://127.0.0.1:8101"),
        ("0:8101", "http://127.0.0.1:8101"),
        ("localhost:8101", "http://localhost:8101"),
        ("pars.example.org:80", "http://pars.example.org:80"),
        ("[::1]:8101", "http://[::1]:8101"),
        ("[::]:8101", "http://[::1]:8101"),
    ],
)
def test_it_links_emails_to_the_address_it_serves(addrport: str, url: str) -> None:
    assert site_url_for(addrport) == url


@pytest.mark.parametrize("addrport", ["", "host:", "127.0.0.1:port", "http://127.0.0.1:8000"])
def test_it_refuses_an_address_runserver_would_refuse(addrport: str) -> None:
    with pytest.raises(CommandError, match="not a valid port number or address:port pair"):
        site_url_for(addrport)


def test_it_gives_the_children_the_served_address_unless_site_url_is_set() -> None:
    served = "http://127.0.0.1:8101"
    assert child_environment({}, site_url=served)["SITE_URL"] == served
    assert child_environment({"SITE_URL": ""}, site_url=served)["SITE_URL"] == served
    explicit = {"SITE_URL": "https://pars.example.org"}
    assert child_environment(explicit, site_url=served)["SITE_URL"] == "https://pars.example.org"


def test_it_asks_the_worker_to_stop_within_its_grace_period_on_sigterm() -> None:
    env = child_environment({"PATH": "/usr/bin"}, site_url="http://127.0.0.1:8000")
    assert env["REMAP_SIGTERM"] == "SIGQUIT"
    assert env["PATH"] == "/usr/bin"


def test_it_refuses_an_address_already_in_use_before_starting_anything() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Can't serve on 127.0.0.1:{port}"):
            check_can_listen(f"127.0.0.1:{port}")


def test_it_restarts_a_child_that_keeps_dying_with_growing_pauses() -> None:
    lines: list[str] = []
    crasher = ChildSpec("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"])
    supervisor = Supervisor(specs=[crasher], env=dict(os.environ), log=lines.append)
    supervisor.start()
    try:
        assert wait_for(lambda: sum("starting it again" in line for line in lines) >= 2)
    finally:
        supervisor.stop()

    deaths = [line for line in lines if "starting it again" in line]
    assert re.fullmatch(r"The crasher \(pid \d+\) exited with code 3 after \d+ s; "
                        r"starting it again in 1 s", deaths[0])  # fmt: skip
    assert deaths[1].endswith("starting it again in 2 s")
    assert sum(line.startswith("Started the crasher") for line in lines) >= 2


def test_it_kills_a_child_that_ignores_sigterm_once_the_deadline_passes(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = ChildSpec(
        "stubborn",
        [
            sys.executable, "-c",
            "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
            str(ready),
        ],
    )  # fmt: skip
    lines: list[str] = []
    supervisor = Supervisor(
        specs=[stubborn], env=dict(os.environ), log=lines.append, stop_deadline=1.0
    )
    supervisor.start()
    pid = supervisor.pids()["stubborn"]
    assert wait_for(ready.exists)

    supervisor.stop()

    assert f"The stubborn (pid {pid}) did not stop in time: killing it" in lines
    assert live_processes_in([pid]) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _embedded_default_env(var_dir: Path) -> dict[str, str]:
    """`make run`'s environment: no broker configured (so the embedded one), on the test DB."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "REDIS_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return {
        **env,
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url_of_the_tests(),
        "MEDIA_ROOT": str(var_dir / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
    }


def _demo_staff(provider: Provider) -> str:
    """The demo login, with a password hash the portal's own (production) hashers can check."""
    email = next(spec.staff_email for spec in PROVIDERS if spec.accme_id == provider.accme_id)
    user = get_user_model().objects.get(username=email)
    user.password = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "runportal-test", 1000)
    user.save(update_fields=["password"])
    return email


def _mails(var_dir: Path) -> list[str]:
    folder = var_dir / "mail"
    return [path.read_text() for path in folder.iterdir()] if folder.exists() else []


def _upload_status(upload_id: int) -> str:
    return str(Upload.objects.filter(pk=upload_id).values_list("status", flat=True).get())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_serves_restarts_a_dead_worker_and_leaves_nothing_behind_on_ctrl_c(
    tmp_path: Path,
) -> None:
    seed_sandbox(today=timezone.localdate())
    provider = Provider.objects.get(accme_id="0001234")
    email = _demo_staff(provider)
    data = generate_learner_file(
        provider=provider, rows=20, error_rate=0.1, file_type="txt", today=timezone.localdate()
    )
    port = _free_port()
    portal = RunningPortal(
        port=port, env=_embedded_default_env(tmp_path), log_path=tmp_path / "runportal.log"
    )
    try:
        portal.wait_until_serving(timeout=TIMEOUT)
        assert wait_for(lambda: portal.started("Celery beat"), timeout=TIMEOUT)
        # The worker dies as a crash would kill it: runportal starts another and says so.
        first_worker = portal.started("Celery worker")[0]
        os.kill(first_worker, signal.SIGKILL)
        assert wait_for(lambda: len(portal.started("Celery worker")) == 2, timeout=TIMEOUT)
        assert f"The Celery worker (pid {first_worker}) was killed by SIGKILL" in portal.log()

        session = PortalSession(portal.base_url)
        session.login(email, DEMO_PASSWORD)
        upload_id = upload_id_of(session.upload(name="Learners.txt", data=data))
        assert upload_id is not None
        assert wait_for(lambda: _upload_status(upload_id) in FINAL_STATUSES, timeout=TIMEOUT)
        # The completion email is queued with the result and sent by its own task.
        assert wait_for(lambda: _mails(tmp_path), timeout=TIMEOUT)
        sessions = portal.sessions()
        assert len(live_processes_in(sessions)) >= 5  # runportal, worker + 2 pool, beat
    finally:
        exit_code = portal.interrupt(timeout=TIMEOUT)

    assert exit_code == 0, portal.log()
    assert live_processes_in(sessions) == [], portal.log()
    assert _upload_status(upload_id) == UploadStatus.COMPLETED
    mails = _mails(tmp_path)
    assert any(f"http://127.0.0.1:{port}/uploads/{upload_id}/" in mail for mail in mails)
    assert "http://127.0.0.1:8000/" not in "".join(mails)
    log = portal.log()
    assert "The Celery worker" in log and "stopped" in log
    assert "Unrecoverable error" not in log
