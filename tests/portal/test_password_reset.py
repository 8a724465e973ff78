"""Forgot password: Django's reset views in the portal's pages, email through the mail settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory

RESET = reverse("password_reset")
NEW_PASSWORD = "Quarterly-CME-report-42"


@pytest.fixture
def member(db: None) -> Any:
    user = MembershipFactory().user
    user.set_password("old-password-123")
    user.save()
    return user


def reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match is not None, message.body
    return match.group(1)


def test_it_links_the_login_page_to_the_reset(client: Client) -> None:
    page = client.get(reverse("login")).content.decode()

    assert f'<a href="{RESET}">Forgot password?</a>' in page


def test_it_emails_a_reset_link_and_the_link_sets_a_new_password(
    client: Client, member: Any, mailoutbox: list[mail.EmailMessage]
) -> None:
    response = client.post(RESET, {"email": member.email.upper()})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    [message] = mailoutbox
    assert message.to == [member.email]
    assert message.subject == "PARS Portal: choose a new password"
    assert message.from_email == "PARS Portal <pars-support@localhost>"
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert reset_link(message) in str(html)

    form = client.get(reset_link(message), follow=True)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    login = Client().post(reverse("login"), {"username": member.username, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_it_answers_an_unknown_address_like_a_known_one(
    client: Client, db: None, mailoutbox: list[mail.EmailMessage]
) -> None:
    response = client.post(RESET, {"email": "nobody@nowhere.test"}, follow=True)

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


def test_it_refuses_a_malformed_address_with_400_and_the_field_marked(
    client: Client, db: None, mailoutbox: list[mail.EmailMessage]
) -> None:
    response = client.post(RESET, {"email": "not an address"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and 'href="#id_email"' in page
    assert 'aria-invalid="true"' in page
    assert mailoutbox == []


def test_it_refuses_a_link_used_twice(
    client: Client, member: Any, mailoutbox: list[mail.EmailMessage]
) -> None:
    client.post(RESET, {"email": member.email})
    link = reset_link(mailoutbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True).content.decode()

    assert "This link can't be used" in again
    assert "Ask for a new link" in again


def test_it_refuses_passwords_that_differ_or_are_weak_with_400(
    client: Client, member: Any, mailoutbox: list[mail.EmailMessage]
) -> None:
    client.post(RESET, {"email": member.email})
    set_url = client.get(reset_link(mailoutbox[0]), follow=True).redirect_chain[-1][0]

    differ = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    weak = client.post(set_url, {"new_password1": "password", "new_password2": "password"})

    assert differ.status_code == 400 and weak.status_code == 400
    assert "The two password fields didn\u2019t match." in differ.content.decode()
    assert "This password is too common." in weak.content.decode()
    assert 'href="#id_new_password2"' in differ.content.decode()
    member.refresh_from_db()
    assert member.check_password("old-password-123")


def test_it_sends_no_link_to_an_inactive_account(
    client: Client, member: Any, mailoutbox: list[mail.EmailMessage]
) -> None:
    get_user_model().objects.filter(pk=member.pk).update(is_active=False)

    client.post(RESET, {"email": member.email})

    assert mailoutbox == []


def test_it_refuses_wrong_methods_on_the_reset_pages(client: Client, db: None) -> None:
    assert client.put(RESET).status_code == 405
    assert (
        client.put(reverse("password_reset_confirm", args=["MQ", "set-password"])).status_code
        == 405
    )
    assert client.delete(reverse("password_reset_done")).status_code == 405
