"""The production stack serves its own pages whole: gunicorn, DEBUG off, no proxy in front.

Static files are collected by the Dockerfile's own step, and gunicorn runs the web service's
command with the environment docker-compose.yml gives it (a fresh SECRET_KEY, this test
database and broker). Requests go to http://localhost:<port>, as a browser on the machine sends
them to http://localhost:8000.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests import worker
from tests.factories import MembershipFactory, ProviderFactory
from tests.production import ROOT, collect_static, stack_environment, web_server
from uploads.models import Upload, UploadStatus

HASHED = re.compile(r"^/static/(?P<name>.+)\.(?P<hash>[0-9a-f]{12})\.(?P<ext>css|js)$")
IMMUTABLE = "max-age=315360000, public, immutable"
CONTENT_TYPES = {"css": "text/css", "js": "text/javascript"}


@dataclass(frozen=True)
class Stack:
    port: int
    secret_key: str
    static_root: Path

    def get(self, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": f"localhost:{self.port}", **headers})
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def stack(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """gunicorn as the web service runs it, with static files collected as the image collects them."""
    root = tmp_path_factory.mktemp("stack")
    with django_db_blocker.unblock():
        database_url = worker.test_database_url()
    environment = stack_environment(
        "web",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=django_settings.CELERY_BROKER_URL,
        VAR_DIR=str(root / "var"),
        MEDIA_ROOT=str(root / "media"),
        STATIC_ROOT=str(root / "static"),
    )
    collect_static(root / "static", environment)
    with web_server(environment, root / "gunicorn.log") as port:
        yield Stack(port, environment["SECRET_KEY"], root / "static")


class Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.stylesheets.append(str(values["href"]))
        if tag == "script" and values.get("src"):
            self.scripts.append(str(values["src"]))


def assets_of(html: bytes) -> Assets:
    parser = Assets()
    parser.feed(html.decode())
    return parser


def assert_served_whole(stack: Stack, url: str) -> bytes:
    """`url` is a hashed static file served with its type, a year's immutable cache, its bytes."""
    match = HASHED.match(url)
    assert match, f"{url} is not a content-hashed static URL"
    collected = url.removeprefix("/static/")
    manifest = json.loads((stack.static_root / "staticfiles.json").read_text())
    response, body = stack.get(url)

    assert response.status == 200, url
    assert response.getheader("Content-Type", "").startswith(CONTENT_TYPES[match["ext"]]), url
    assert response.getheader("Cache-Control") == IMMUTABLE, url
    assert manifest["paths"][f"{match['name']}.{match['ext']}"] == collected
    assert body == (stack.static_root / collected).read_bytes(), url
    return body


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_login_page_with_every_stylesheet_and_script_it_links(stack: Stack) -> None:
    response, html = stack.get("/login/")

    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assets = assets_of(html)
    assert len(assets.stylesheets) >= 2 and len(assets.scripts) >= 1
    for url in assets.stylesheets + assets.scripts:
        assert_served_whole(stack, url)
    assert any(url.startswith("/static/css/portal.") for url in assets.stylesheets)
    assert any(url.startswith("/static/vendor/pico/") for url in assets.stylesheets)
    assert any(url.startswith("/static/vendor/htmx/htmx.min.") for url in assets.scripts)


def logged_in_cookie(stack: Stack, user: Any, settings: Any) -> str:
    """A session cookie of `user`, signed as the server (with its SECRET_KEY) reads it."""
    settings.SECRET_KEY = stack.secret_key
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_processing_page_with_its_htmx_and_the_fragment_it_polls(
    stack: Stack, settings: Any
) -> None:
    provider = ProviderFactory()
    user = MembershipFactory(provider=provider).user
    cookie = logged_in_cookie(stack, user, settings)
    upload = Upload.objects.create(
        provider=provider,
        user=user,
        original_name="learners.txt",
        size=120,
        sha256="0" * 64,
        file_type="txt",
        status=UploadStatus.QUEUED,
    )

    response, html = stack.get(f"/uploads/{upload.pk}/", Cookie=cookie)

    assert response.status == 200, html[:500]
    polled = re.search(rb'hx-get="([^"]+)"', html)
    assert polled, "the processing page polls nothing"
    (htmx,) = [url for url in assets_of(html).scripts if "htmx" in url]
    script = assert_served_whole(stack, htmx)
    assert b"htmx" in script[:2000]
    fragment_response, fragment = stack.get(polled.group(1).decode(), Cookie=cookie)
    assert fragment_response.status == 200
    assert b'data-status="queued"' in fragment
    # Without the session, the same page is the login's business, not a 500.
    anonymous, _ = stack.get(f"/uploads/{upload.pk}/")
    assert anonymous.status == 302


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_admin_with_its_own_static_files(stack: Stack) -> None:
    response, html = stack.get("/admin/login/")

    assert response.status == 200
    assets = assets_of(html)
    assert assets.stylesheets
    for url in assets.stylesheets + assets.scripts:
        if HASHED.match(url):
            assert_served_whole(stack, url)


def test_it_sends_a_compressed_copy_to_clients_that_accept_one(stack: Stack) -> None:
    _, html = stack.get("/login/")
    (portal_css,) = [u for u in assets_of(html).stylesheets if "/css/portal." in u]

    response, body = stack.get(portal_css, **{"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.getheader("Vary", "")
    assert gzip.decompress(body) == (ROOT / "static" / "css" / "portal.css").read_bytes()


def test_it_caches_an_unhashed_name_only_briefly(stack: Stack) -> None:
    response, body = stack.get("/static/css/portal.css")

    assert response.status == 200
    assert response.getheader("Cache-Control") == "max-age=60, public"
    assert body == (ROOT / "static" / "css" / "portal.css").read_bytes()


def test_it_answers_404_for_a_static_file_that_does_not_exist(stack: Stack) -> None:
    for path in ("/static/css/nothing.css", "/static/css/portal.000000000000.css"):
        response, _ = stack.get(path)
        assert response.status == 404, path


def test_it_collects_only_hashed_names_into_the_manifest(stack: Stack) -> None:
    manifest = (stack.static_root / "staticfiles.json").read_text()

    assert '"css/portal.css": "css/portal.' in manifest
    assert (stack.static_root / "css" / "portal.css.gz").exists()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_cookies_https_only_and_sends_hsts_behind_a_tls_proxy(stack: Stack) -> None:
    plain, _ = stack.get("/login/")
    proxied, _ = stack.get("/login/", **{"X-Forwarded-Proto": "https"})

    csrf_cookie = plain.getheader("Set-Cookie", "")
    assert csrf_cookie.startswith("csrftoken=")
    assert "Secure" in csrf_cookie and "SameSite=Lax" in csrf_cookie
    assert plain.getheader("Strict-Transport-Security") is None
    assert proxied.status == 200
    assert proxied.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    assert plain.getheader("Content-Security-Policy", "").startswith("default-src 'self'")
