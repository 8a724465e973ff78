"""The Upload New File form: what the file holds (learners or activities), then the three steps
(file type, submission type for learners, file) on one page."""

from __future__ import annotations

from typing import Any

from django import forms

from learners.engine.programs import Program
from uploads.models import FileType, Mode, UploadKind


class UploadForm(forms.Form):
    # The wizard's first choice; a form posted without it (older pages, scripts) means learners.
    kind = forms.ChoiceField(choices=UploadKind.choices, required=False)
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

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or UploadKind.LEARNERS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == UploadKind.ACTIVITIES:
            # Activities have no submission type: drop any error the learner step raised.
            self.errors.pop("program", None)
            data["program"] = Program.BOARD
        return data

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or Mode.SUBMIT

    def first_error(self) -> str:
        for field in ("kind", "file_type", "program", "file", "mode"):
            if field in self.errors:
                return str(self.errors[field][0])
        return "PLEASE CHECK THE FORM."


class ConfirmForm(forms.Form):
    """The answer to POTENTIAL DUPLICATE FILE DETECTED."""

    decision = forms.ChoiceField(choices=[("yes", "Yes, upload file"), ("no", "No, don't upload")])
