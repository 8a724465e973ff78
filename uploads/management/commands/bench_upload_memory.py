"""Measure the peak memory of a web process while several heavy uploads arrive at once.

    manage.py bench_upload_memory [--uploads 6] [--kind xlsx-bomb ...] [--port 8745]

For each kind of file it starts gunicorn (one worker process, one thread per upload, DEBUG off,
this database and broker), posts `--uploads` copies of that file at the same moment through the
real upload form, each for a provider of its own (one upload at a time per provider), and prints
the worker process's resident memory before and at its peak (VmHWM, from /proc). It creates
benchmark providers 0009801… with a staff login, and removes their uploads again when done.

Kinds:
  xlsx-bomb          a ~500 KB workbook whose shared strings unzip to 204 MB (refused at once)
  xlsx-under-cap     a workbook unzipping to just under the cap (taken; the worker reads it)
  txt-inline-worst   a .txt of empty cells, as large as the request reads (UPLOAD_INLINE_READ_BYTES)
  xml-inline-worst   a .xml of tiny elements, as large as the request reads
  txt-10mb           a 10 MB .txt of empty cells (taken; the worker reads it)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client

from learners.formats.templates import xlsx_template
from learners.formats.xlsx import MAX_UNZIPPED_BYTES
from portal.models import Membership, Provider
from uploads.models import Upload

HOST = "127.0.0.1"
BENCH_PROVIDERS = "00098"  # + two digits
TARGET_MB = 150
CSRF_SECRET = "b" * 32  # the cookie holds the secret; an unmasked 32-char token matches it


def workbook_with_strings(workbook: bytes, count: int) -> bytes:
    """`workbook` plus a shared-string table of `count` one-letter strings.

    openpyxl loads the whole table into memory even in read-only mode: 12 million of them (a
    file of about 500 KB, 204 MB unzipped) cost over a gigabyte to read.
    """
    source = zipfile.ZipFile(io.BytesIO(workbook))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>x</t></si>" * count
        + b"</sst>"
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(name, content)
    return out.getvalue()


def _under_cap() -> bytes:
    template = sum(
        i.file_size for i in zipfile.ZipFile(io.BytesIO(xlsx_template("board"))).infolist()
    )
    return workbook_with_strings(
        xlsx_template("board"), (MAX_UNZIPPED_BYTES - template - 1000) // 17
    )


def _tabs(size: int) -> bytes:
    """A .txt line of `size` bytes, all empty cells: the most cells a reader can be handed."""
    return b"Add" + b"\t" * (size - 5) + b"\r\n"


def _xml_elements(size: int) -> bytes:
    head = b'<?xml version="1.0"?><accme:ACCMELearnerReports xmlns:accme="x"><r>'
    tail = b"</r></accme:ACCMELearnerReports>"
    return head + b"<x/>" * ((size - len(head) - len(tail)) // 4) + tail


KINDS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "xlsx-bomb": ("xlsx", lambda: workbook_with_strings(xlsx_template("board"), 12_000_000)),
    "xlsx-under-cap": ("xlsx", _under_cap),
    "txt-inline-worst": ("txt", lambda: _tabs(settings.UPLOAD_INLINE_READ_BYTES)),
    "xml-inline-worst": ("xml", lambda: _xml_elements(settings.UPLOAD_INLINE_READ_BYTES)),
    "txt-10mb": ("txt", lambda: _tabs(10 * 1000 * 1000)),
}


class Command(BaseCommand):
    help = "Peak memory of a web process while several heavy uploads arrive at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--uploads", type=int, default=6)
        parser.add_argument("--kind", action="append", choices=sorted(KINDS), default=[])
        parser.add_argument("--port", type=int, default=8745)

    def handle(self, *args: Any, **options: Any) -> None:
        count, port = options["uploads"], options["port"]
        kinds = options["kind"] or list(KINDS)
        sessions = [_bench_session(n) for n in range(count)]
        self.stdout.write(
            f"bench_upload_memory: {count} uploads at once into one gunicorn worker process "
            f"({count} threads), {connection.vendor}"
        )
        figures: dict[str, float] = {}
        try:
            for kind in kinds:
                figures[kind] = self._measure(kind, sessions, port)
        finally:
            _remove_bench_uploads()
        worst = max(figures.values())
        verdict = "meets" if figures.get("xlsx-bomb", 0) <= TARGET_MB else "MISSES"
        self.stdout.write(f"  six .xlsx bombs: {verdict} target <= {TARGET_MB} MB")
        pairs = " ".join(f"{kind}_peak_mb={mb:.0f}" for kind, mb in figures.items())
        self.stdout.write(f"uploads={count} {pairs} peak_mb_max={worst:.0f}")

    def _measure(self, kind: str, sessions: list[str], port: int) -> float:
        file_type, make = KINDS[kind]
        data = make()
        _remove_bench_uploads()
        with _Gunicorn(port, threads=len(sessions)) as server:
            before = server.memory_mb("VmRSS")
            statuses = _post_all(port, sessions, file_type, data)
            peak = server.memory_mb("VmHWM")
        codes = ", ".join(f"{status} x{statuses.count(status)}" for status in sorted(set(statuses)))
        self.stdout.write(
            f"  {kind:<17} {len(data) / 1024:9,.0f} KB  answers: {codes:<12} "
            f"RSS before {before:5.0f} MB, peak {peak:5.0f} MB"
        )
        return peak


def _bench_session(n: int) -> str:
    """A logged-in session (cookie value) of a staff member of benchmark provider n."""
    provider, _ = Provider.objects.get_or_create(
        accme_id=f"{BENCH_PROVIDERS}{n + 1:02d}",
        defaults={"name": f"Memory benchmark {n + 1}", "primary_contact_email": "b@bench.test"},
    )
    user, _ = get_user_model().objects.get_or_create(
        username=f"memory-bench-{n + 1}@bench.test",
        defaults={"email": f"memory-bench-{n + 1}@bench.test"},
    )
    Membership.objects.get_or_create(user=user, defaults={"provider": provider})
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _remove_bench_uploads() -> None:
    # Their stored files go with the rows (uploads/signals.py).
    Upload.objects.filter(provider__accme_id__startswith=BENCH_PROVIDERS).delete()


def _post_all(port: int, sessions: list[str], file_type: str, data: bytes) -> list[int]:
    start = threading.Barrier(len(sessions))
    statuses: list[int] = []

    def post(session: str) -> None:
        body, content_type = _multipart(file_type, data)
        request = urllib.request.Request(
            f"http://{HOST}:{port}/uploads/",
            data=body,
            headers={
                "Content-Type": content_type,
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
                f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
            },
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=post, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _multipart(file_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    fields = {
        "csrfmiddlewaretoken": CSRF_SECRET,
        "file_type": file_type,
        "program": "board",
        "mode": "check",
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    name = f"memory-bench-{uuid.uuid4().hex[:8]}.{file_type}"
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _Gunicorn:
    """gunicorn with one gthread worker process, as the web service runs (DEBUG off)."""

    def __init__(self, port: int, *, threads: int) -> None:
        self.port, self.threads = port, threads
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Gunicorn:
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or settings.SECRET_KEY,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        command = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", str(self.threads),
            "--log-level", "warning", "--timeout", "600",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/login/", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise CommandError("gunicorn did not start")

    def worker_pid(self) -> int:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split()
        if len(pids) != 1:
            raise CommandError(f"expected one gunicorn worker, found {pids}")
        return int(pids[0])

    def memory_mb(self, field: str) -> float:
        """VmRSS (now) or VmHWM (peak) of the worker process, in MB."""
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise CommandError(f"no {field} in /proc")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
