"""Production settings: Django's deployment checks, refusals to start unsafe, no secrets, hashes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from learners.sandbox import DEMO_PASSWORD, DEMO_WS_PASSWORD, seed_sandbox
from portal import settings as portal_settings
from portal.models import WebServiceAccount
from tests.production import production_environment
from tests.stack_files import ROOT, settings_from

production_env = production_environment


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deployment_checks_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_the_deployment_checks_with_a_weak_secret_key() -> None:
    # The check itself must bite, or the passing test above proves nothing.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY="short")
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_refuses_to_start_with_a_malformed_debug_flag() -> None:
    result = manage("check", env=production_env(DEBUG="maybe"))

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_it_applies_the_production_security_settings() -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_CONTENT_TYPE_NOSNIFF', "
        "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS', 'SECURE_PROXY_SSL_HEADER', "
        "'SECURE_REFERRER_POLICY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_it_takes_an_empty_variable_as_unset_never_as_off() -> None:
    # `NAME=` lines, as in .env.example, must not switch production security off.
    values = settings_from(
        production_environment(
            SESSION_COOKIE_SECURE="", CSRF_COOKIE_SECURE="", SECURE_SSL_REDIRECT=""
        )
    )

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True


@pytest.mark.django_db
def test_it_sends_the_security_headers(client: Client) -> None:
    response = client.get("/login/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_it_redirects_to_https_unless_the_proxy_says_it_terminated_tls(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    plain = Client().get("/login/")
    behind_proxy = Client().get("/login/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    assert behind_proxy.status_code == 200
    assert behind_proxy["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_it_marks_the_session_and_csrf_cookies_secure_and_http_only(settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    seed_sandbox(today=date(2026, 11, 22))
    client = Client()

    client.get("/login/")
    response = client.post("/login/", {"username": "demo@aaa-test.org", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], client.cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"] and csrf["samesite"] == "Lax"


# Patterns of credentials that must never be committed. Built from pieces so that this file
# does not match itself.
SECRET_PATTERNS = {
    "private key": re.compile("-" * 5 + r"BEGIN ([A-Z]+ )?PRIVATE KEY" + "-" * 5),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}", re.IGNORECASE
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "password in a URL": re.compile(r"://[^/\s:@'\"]+:(?!\$\{)[^/\s:@'\"]{6,}@"),
    "Django secret key": re.compile(r"SECRET_KEY\s*[=:]\s*['\"]?(?!insecure-)[^\s'\"$]{30,}"),
}
# Local development defaults that are secrets nowhere: the compose file's database password
# fallback (`pars`) is shorter than the URL pattern's minimum.


def tracked_files() -> list[Path]:
    """Files in git, and new ones not ignored (they are what the next commit would add)."""
    result = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    names = [name for name in result.stdout.decode().split("\0") if name]
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def test_it_keeps_no_secret_in_the_repository() -> None:
    files = tracked_files()
    found = []
    for path in files:
        text = path.read_bytes()[:2_000_000].decode("utf-8", errors="ignore")
        for what, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)[:40]}")

    assert len(files) > 50
    assert found == []


def test_it_recognises_the_secrets_it_looks_for() -> None:
    samples = {
        "private key": "-" * 5 + "BEGIN RSA PRIVATE KEY" + "-" * 5,
        "AWS access key id": "AKIA" + "ABCDEFGHIJKLMNOP",
        "GitHub token": "ghp_" + "a" * 36,
        "password in a URL": "postgres://pars:" + "hunter22" + "@db/pars",
        "Django secret key": "SECRET_KEY = '" + "x" * 50 + "'",
    }
    for what, sample in samples.items():
        assert SECRET_PATTERNS[what].search(sample), what
    assert not SECRET_PATTERNS["password in a URL"].search(
        "postgres://pars:${POSTGRES_PASSWORD}@db"
    )


@pytest.mark.django_db
def test_it_stores_user_and_web_service_passwords_hashed(settings: Any) -> None:
    # The hashers production runs with, whatever a test configuration chose for speed.
    settings.PASSWORD_HASHERS = getattr(
        portal_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS
    )
    seed_sandbox(today=date(2026, 11, 22))

    users = list(get_user_model().objects.exclude(password=""))
    accounts = list(WebServiceAccount.objects.all())

    assert users and accounts
    for stored in [u.password for u in users] + [a.password for a in accounts]:
        assert identify_hasher(stored).algorithm in {"pbkdf2_sha256", "argon2", "bcrypt_sha256"}
        assert DEMO_PASSWORD not in stored and DEMO_WS_PASSWORD not in stored
    assert all(a.check_password(DEMO_WS_PASSWORD) for a in accounts)
    assert not accounts[0].check_password(accounts[0].password)
