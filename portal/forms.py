"""The staff login form, with throttling of repeated failures."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from portal.models import AuthThrottle
from portal.throttle import attempt_begin, attempt_failed, attempt_succeeded

SCOPE = AuthThrottle.Scope.LOGIN
THROTTLED_MESSAGE = (
    "Too many failed log-in attempts for this email from your network. "
    "Please wait 15 minutes and try again."
)
INVALID_LOGIN_MESSAGE = (
    "Please enter a correct email and password. Note that the password is case-sensitive."
)


def login_throttle_limits(*, email: str, address: str) -> dict[str, int]:
    """The budgets a login attempt spends: the account from this address, and the address.

    Failures against one account never lock another account out, even behind one NAT address
    (a CME office); the address's own, much larger budget only stops guessing across accounts.
    """
    account = email.strip().casefold()
    return {
        f"account:{account}|ip:{address}": settings.THROTTLE_MAX_FAILURES,
        f"ip:{address}": settings.THROTTLE_MAX_FAILURES_PER_ADDRESS,
    }


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN_MESSAGE,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"

    def clean(self) -> dict[str, Any]:
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        limits = login_throttle_limits(email=self.data.get("username") or "", address=address)
        if not attempt_begin(scope=SCOPE, limits=limits):
            raise forms.ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            attempt_failed(scope=SCOPE, keys=limits)
            raise
        account_key = next(iter(limits))
        attempt_succeeded(scope=SCOPE, keys=limits, forget=[account_key])
        return cleaned
