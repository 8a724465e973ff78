"""The Upload New File form: three steps (file type, submission type, file) on one page."""

from __future__ import annotations

from typing import Any

from django import forms

from uploads.history import STATUS_FILTER_LABELS, HistoryFilters
from uploads.models import FileType, Mode, Program


class UploadForm(forms.Form):
    file_type = forms.ChoiceField(
        choices=FileType.choices,
        error_messages={"required": "PLEASE SELECT A FILE TYPE (STEP 1 OF 3)."},
    )
    program = forms.ChoiceField(
        choices=Program.choices,
        error_messages={"required": "PLEASE SELECT A SUBMISSION TYPE (STEP 2 OF 3)."},
    )
    file = forms.FileField(
        error_messages={
            "required": "PLEASE CHOOSE A FILE TO UPLOAD (STEP 3 OF 3).",
            "empty": "THE FILE SELECTED IS EMPTY. PLEASE CHOOSE A FILE WITH LEARNER RECORDS.",
            "invalid": "PLEASE CHOOSE A FILE TO UPLOAD (STEP 3 OF 3).",
        },
    )
    # The button pressed: "Upload file" submits learners, "Check file only" stores nothing.
    mode = forms.ChoiceField(choices=Mode.choices, required=False)

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or Mode.SUBMIT

    def first_error(self) -> str:
        for field in ("file_type", "program", "file", "mode"):
            if field in self.errors:
                return str(self.errors[field][0])
        return "PLEASE CHECK THE FORM."


class ConfirmForm(forms.Form):
    """The answer to POTENTIAL DUPLICATE FILE DETECTED."""

    decision = forms.ChoiceField(choices=[("yes", "Yes, upload file"), ("no", "No, don't upload")])


class HistoryFilterForm(forms.Form):
    """View Upload History: narrow the last 30 days by file name, status, file type, program."""

    name = forms.CharField(label="File name", required=False, max_length=255)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *STATUS_FILTER_LABELS]
    )
    file_type = forms.ChoiceField(
        label="File type", required=False, choices=[("", "All file types"), *FileType.choices]
    )
    program = forms.ChoiceField(
        label="Program", required=False, choices=[("", "All programs"), *Program.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def filters(self) -> HistoryFilters:
        return HistoryFilters(**self.cleaned_data)
