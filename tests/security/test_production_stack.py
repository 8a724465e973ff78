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
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.factories import MembershipFactory, ProviderFactory
from tests.production import Stack, queued_upload
from tests.stack_files import ROOT

HASHED = re.compile(r"^/static/(?P<name>.+)\.(?P<hash>[0-9a-f]{12})\.(?P<ext>css|js)$")
IMMUTABLE = "max-age=315360000, public, immutable"
CONTENT_TYPES = {"css": "text/css", "js": "text/javascript"}


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


def assert_served_whole(web_stack: Stack, url: str) -> bytes:
    """`url` is a hashed static file served with its type, a year's immutable cache, its bytes."""
    match = HASHED.match(url)
    assert match, f"{url} is not a content-hashed static URL"
    collected = url.removeprefix("/static/")
    manifest = json.loads((web_stack.static_root / "staticfiles.json").read_text())
    response, body = web_stack.get(url)

    assert response.status == 200, url
    assert response.getheader("Content-Type", "").startswith(CONTENT_TYPES[match["ext"]]), url
    assert response.getheader("Cache-Control") == IMMUTABLE, url
    assert manifest["paths"][f"{match['name']}.{match['ext']}"] == collected
    assert body == (web_stack.static_root / collected).read_bytes(), url
    return body


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_login_page_with_every_stylesheet_and_script_it_links(
    web_stack: Stack,
) -> None:
    response, html = web_stack.get("/login/")

    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assets = assets_of(html)
    assert len(assets.stylesheets) >= 2 and len(assets.scripts) >= 1
    for url in assets.stylesheets + assets.scripts:
        assert_served_whole(web_stack, url)
    assert any(url.startswith("/static/css/portal.") for url in assets.stylesheets)
    assert any(url.startswith("/static/vendor/pico/") for url in assets.stylesheets)
    assert any(url.startswith("/static/vendor/htmx/htmx.min.") for url in assets.scripts)


def logged_in_cookie(web_stack: Stack, user: Any, settings: Any) -> str:
    """A session cookie of `user`, signed as the server (with its SECRET_KEY) reads it."""
    settings.SECRET_KEY = web_stack.secret_key
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_processing_page_with_its_htmx_and_the_fragment_it_polls(
    web_stack: Stack, settings: Any
) -> None:
    provider = ProviderFactory()
    user = MembershipFactory(provider=provider).user
    cookie = logged_in_cookie(web_stack, user, settings)
    upload = queued_upload(user)

    response, html = web_stack.get(f"/uploads/{upload.pk}/", Cookie=cookie)

    assert response.status == 200, html[:500]
    polled = re.search(rb'hx-get="([^"]+)"', html)
    assert polled, "the processing page polls nothing"
    (htmx,) = [url for url in assets_of(html).scripts if "htmx" in url]
    script = assert_served_whole(web_stack, htmx)
    assert b"htmx" in script[:2000]
    fragment_response, fragment = web_stack.get(polled.group(1).decode(), Cookie=cookie)
    assert fragment_response.status == 200
    assert b'data-status="queued"' in fragment
    # Without the session, the same page is the login's business, not a 500.
    anonymous, _ = web_stack.get(f"/uploads/{upload.pk}/")
    assert anonymous.status == 302


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_admin_with_its_own_static_files(web_stack: Stack) -> None:
    response, html = web_stack.get("/admin/login/")

    assert response.status == 200
    assets = assets_of(html)
    assert assets.stylesheets
    for url in assets.stylesheets + assets.scripts:
        if HASHED.match(url):
            assert_served_whole(web_stack, url)


def test_it_sends_a_compressed_copy_to_clients_that_accept_one(web_stack: Stack) -> None:
    _, html = web_stack.get("/login/")
    (portal_css,) = [u for u in assets_of(html).stylesheets if "/css/portal." in u]

    response, body = web_stack.get(portal_css, **{"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.getheader("Vary", "")
    assert gzip.decompress(body) == (ROOT / "static" / "css" / "portal.css").read_bytes()


def test_it_caches_an_unhashed_name_only_briefly(web_stack: Stack) -> None:
    response, body = web_stack.get("/static/css/portal.css")

    assert response.status == 200
    assert response.getheader("Cache-Control") == "max-age=60, public"
    assert body == (ROOT / "static" / "css" / "portal.css").read_bytes()


def test_it_answers_404_for_a_static_file_that_does_not_exist(web_stack: Stack) -> None:
    for path in ("/static/css/nothing.css", "/static/css/portal.000000000000.css"):
        response, _ = web_stack.get(path)
        assert response.status == 404, path


def test_it_collects_hashed_and_compressed_copies(web_stack: Stack) -> None:
    manifest = (web_stack.static_root / "staticfiles.json").read_text()

    assert '"css/portal.css": "css/portal.' in manifest
    assert (web_stack.static_root / "css" / "portal.css.gz").exists()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_cookies_https_only_and_sends_hsts_behind_a_tls_proxy(web_stack: Stack) -> None:
    plain, _ = web_stack.get("/login/")
    proxied, _ = web_stack.get("/login/", **{"X-Forwarded-Proto": "https"})

    csrf_cookie = plain.getheader("Set-Cookie", "")
    assert csrf_cookie.startswith("csrftoken=")
    assert "Secure" in csrf_cookie and "SameSite=Lax" in csrf_cookie
    assert plain.getheader("Strict-Transport-Security") is None
    assert proxied.status == 200
    assert proxied.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    assert plain.getheader("Content-Security-Policy", "").startswith("default-src 'self'")


@pytest.mark.django_db(transaction=True)
def test_it_reads_a_web_service_call_sent_in_chunks(web_stack: Stack) -> None:
    """gunicorn decodes the chunks; the call's envelope is read, not taken for an empty body."""
    envelope = (
        b'<LearnerStatusSearchByCreditId xmlns="http://schemas.datacontract.org/2004/07/'
        b'ACCMEDataServices.ServiceObjects"><CreditId>C-1</CreditId><Password>wrong</Password>'
        b"<ProviderId>0001234</ProviderId><User>nobody@example.org</User>"
        b"</LearnerStatusSearchByCreditId>"
    )
    path = "/services/ACCMELearnerService.svc/IACCMELearnerServiceREST/GetLearnerStatusByCreditId"
    connection = http.client.HTTPConnection("127.0.0.1", web_stack.port, timeout=30)
    try:
        connection.putrequest("POST", path, skip_host=True)
        connection.putheader("Host", f"localhost:{web_stack.port}")
        connection.putheader("Content-Type", "application/xml; charset=utf-8")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for start in range(0, len(envelope), 40):
            part = envelope[start : start + 40]
            connection.send(b"%x\r\n%s\r\n" % (len(part), part))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 403, body  # its credentials were read, and refused
    assert b"<Code>451</Code>" in body
