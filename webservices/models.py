"""The web-service request log: every call, as sent and as answered, kept 30 days."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.models import Provider, WebServiceAccount


class WebServiceCallQuerySet(models.QuerySet["WebServiceCall"]):
    def for_provider(self, provider: Provider) -> WebServiceCallQuerySet:
        return self.filter(provider=provider)


class WebServiceCall(models.Model):
    """One request to /services/ and its answer; the password is redacted before it is stored."""

    created_at = models.DateTimeField("time", default=timezone.now)
    method = models.CharField(max_length=50, help_text="The PARS method, blank for no method.")
    http_method = models.CharField("HTTP method", max_length=10)
    path = models.CharField(max_length=500)
    url = models.CharField("endpoint URL", max_length=1000)
    http_status = models.PositiveSmallIntegerField("HTTP status")
    status_code = models.CharField("StatusCode", max_length=20, blank=True)
    codes = models.CharField(
        "error codes", max_length=500, blank=True, help_text="Comma-separated PARS codes."
    )
    duration_ms = models.PositiveIntegerField("duration (ms)")
    request_headers = models.TextField(blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    warnings = models.TextField(blank=True, help_text="What PARS would not have read as sent.")
    # The credential used: the account the User named (kept when its password was wrong, so the
    # provider sees its refused calls too), the user name as sent and where it came from.
    # No index of their own on the two keys: every index costs each call's INSERT, the composite
    # index below serves the provider's pages, and deleting an account (rare) may scan the log.
    account = models.ForeignKey(
        WebServiceAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        db_index=False,
    )
    username = models.CharField("User", max_length=150, blank=True)
    credential_source = models.CharField(max_length=10, blank=True)
    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webservice_calls",
        db_index=False,
    )
    client_ip = models.GenericIPAddressField("client address", null=True, blank=True)

    objects = WebServiceCallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "web-service call"
        indexes = [
            models.Index(fields=["provider", "-created_at"], name="wscall_provider_recent"),
            models.Index(fields=["created_at"], name="wscall_created"),
        ]

    def __str__(self) -> str:
        return f"{self.method or self.path} {self.http_status} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def code_list(self) -> list[str]:
        return [code for code in self.codes.split(",") if code]

    @property
    def warning_list(self) -> list[str]:
        return [line for line in self.warnings.splitlines() if line]


class TrustedAddress(models.Model):
    """An address from which an account's password was verified (webservices/auth.py).

    Guesses at an account from anywhere share one budget; once it is spent, a caller that has
    proved itself from this address (the account's LMS) still gets in within its own address's
    budget, so nobody can lock an integration out by guessing at its user name.
    """

    account = models.ForeignKey(
        WebServiceAccount, on_delete=models.CASCADE, related_name="trusted_addresses"
    )
    address = models.CharField(max_length=45)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "address"], name="trusted_address_once")
        ]

    def __str__(self) -> str:
        return f"{self.account} from {self.address}"
