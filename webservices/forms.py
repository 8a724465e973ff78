"""Forms of the staff's web-service pages: request-log filters and a new account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from webservices.calls import HTTP_ERROR, METHODS, CallFilters

STATUS_CHOICES = [
    ("", "Any status"),
    ("Accepted", "Accepted"),
    ("Rejected", "Rejected"),
    ("Pending", "Pending"),
    (HTTP_ERROR, "Refused (HTTP 4xx)"),
]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class CallFilterForm(forms.Form):
    method = forms.ChoiceField(
        label="Method", required=False, choices=[("", "Any method"), *((m, m) for m in METHODS)]
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    code = forms.CharField(
        label="Error code",
        required=False,
        max_length=3,
        validators=[RegexValidator(r"^\d{3}$", "An error code is 3 digits, e.g. 718.")],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )
    date_from = _date("From")
    date_to = _date("To")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> CallFilters:
        data = self.cleaned_data
        return CallFilters(
            method=data.get("method") or "",
            status=data.get("status") or "",
            code=data.get("code") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class AccountForm(forms.Form):
    username = forms.EmailField(
        label="User name (an email address)",
        max_length=100,
        help_text="Your LMS sends it as User. The password is generated and shown once.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
