"""Every page carries a Content-Security-Policy that forbids inline script and style, and the
pages (the admin's too) need neither, so the policy breaks nothing."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from portal.middleware import CONTENT_SECURITY_POLICY
from portal.models import Provider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def _inline_code(page: str) -> list[str]:
    return INLINE_SCRIPT.findall(page) + INLINE_STYLE.findall(page)


def test_it_sends_the_policy_with_every_page(staff_client: Client) -> None:
    assert CONTENT_SECURITY_POLICY == POLICY
    for url in ("home", "uploads:new", "uploads:history", "learners:learner_search"):
        response = staff_client.get(reverse(url))
        assert response.status_code == 200, url
        assert response.headers["Content-Security-Policy"] == POLICY, url
    assert Client().get(reverse("login")).headers["Content-Security-Policy"] == POLICY


def test_it_sends_the_policy_with_errors_and_files(staff_client: Client) -> None:
    missing = staff_client.get("/no-such-page/")
    template = staff_client.get(reverse("uploads:template", args=["board", "txt"]))
    assert missing.status_code == 404
    assert missing.headers["Content-Security-Policy"] == POLICY
    assert template.headers["Content-Security-Policy"] == POLICY


def test_it_renders_the_portal_pages_without_inline_script_or_style(
    staff_client: Client, provider: Provider
) -> None:
    for url in ("home", "uploads:new", "uploads:history", "learners:activity_summary"):
        page = staff_client.get(reverse(url)).content.decode()
        assert not _inline_code(page), url
        assert "includeIndicatorStyles" in page, "htmx would inject an inline style"
    assert not _inline_code(Client().get(reverse("login")).content.decode())


def test_it_leaves_the_admin_working_under_the_policy() -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Security-Policy"] == POLICY, url
        assert not INLINE_SCRIPT.findall(response.content.decode()), url
