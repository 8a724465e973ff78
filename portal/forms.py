"""The staff login form, with throttling of repeated failures."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal.models import AuthFailure
from portal.throttle import clear_failures, is_throttled, record_failure

THROTTLED_MESSAGE = "Too many failed log-in attempts. Please wait 15 minutes and try again."


class ThrottledAuthenticationForm(AuthenticationForm):
    def _throttle_keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return [f"user:{username}", f"ip:{address}"]

    def clean(self) -> dict[str, Any]:
        keys = self._throttle_keys()
        scope = AuthFailure.Scope.LOGIN
        if is_throttled(scope=scope, keys=keys):
            raise forms.ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(scope=scope, keys=keys)
            raise
        clear_failures(scope=scope, keys=keys[:1])
        return cleaned
