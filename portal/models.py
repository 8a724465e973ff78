"""Providers, the staff who belong to them, and their web-service accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper

seven_digits = RegexValidator(r"^\d{7}$", "An ACCME Provider ID is 7 digits, e.g. 0001234.")


class Provider(models.Model):
    """An accredited organisation that reports learners."""

    accme_id = models.CharField(
        "ACCME Provider ID", max_length=7, unique=True, validators=[seven_digits]
    )
    name = models.CharField(max_length=200)
    primary_contact_email = models.EmailField()
    participates_in_rems = models.BooleanField("takes part in Opioid Analgesic REMS", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accme_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accme_id__regex=r"^[0-9]{7}$"), name="provider_accme_id_7_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accme_id} {self.name}"


class Membership(models.Model):
    """A staff user's place in one provider."""

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        MANAGER = "manager", "Manager"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider.accme_id} ({self.role})"


class WebServiceAccount(models.Model):
    """Credentials an LMS sends as User/Password/ProviderId; separate from browser logins."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="webservice_accounts"
    )
    username = models.CharField(max_length=100, unique=True)
    password = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "username"]
        constraints = [
            # A user name is an email address: one account per name in any case, which is how
            # the web services look it up (webservices/auth.py).
            models.UniqueConstraint(Upper("username"), name="webservice_username_any_case")
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.provider.accme_id})"

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password)


class AuthThrottle(models.Model):
    """Failed authentications of one key (an account, an address, or both) in its current window.

    One row per key, counted with conditional UPDATEs (see `portal/throttle.py`), so concurrent
    attempts can't all read "under the limit" and all go through.
    """

    class Scope(models.TextChoices):
        LOGIN = "login", "Portal login"
        WEBSERVICE = "webservice", "Web service"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    key = models.CharField(max_length=300)
    window_start = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)
    # Password checks started and not yet settled: they hold a place in the budget, so no more
    # checks run at once than failures are left.
    in_flight = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="auth_throttle_one_row_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}: {self.failures} since {self.window_start:%Y-%m-%d %H:%M}"
