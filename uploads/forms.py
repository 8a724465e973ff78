"""The Upload New File form: what the file holds (learners or activities), then the three steps
(file type, submission type for learners, file) on one page."""

from __future__ import annotations

from typing import Any

from django import forms

from learners.engine.programs import Program
from portal.models import Provider
from uploads import refusals
from uploads.history import STATUS_FILTER_LABELS, HistoryFilters
from uploads.models import FileType, Mode, UploadKind
from uploads.refusals import UploadRefused


class UploadForm(forms.Form):
    """Every problem of the form is reported at once, each on its own field."""

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

    # The order of the page: the error summary lists problems in the order of the steps.
    STEPS = ("kind", "file_type", "program", "file", "mode")

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or UploadKind.LEARNERS

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or Mode.SUBMIT

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == UploadKind.ACTIVITIES:
            # Activities have no submission type: drop any error the learner step raised.
            self.errors.pop("program", None)
            data["program"] = Program.BOARD
        elif data.get("program") == Program.REMS and not self.provider.participates_in_rems:
            self.add_refusal("program", refusals.rems_not_available())
        uploaded, file_type = data.get("file"), data.get("file_type")
        if uploaded is not None and file_type:
            wrong_extension = refusals.extension_refusal(file_type, uploaded.name)
            if wrong_extension is not None:
                self.add_refusal("file", wrong_extension)
        return data

    def add_refusal(self, field: str, refusal: UploadRefused) -> None:
        """A refusal of the upload services, shown on the field it concerns."""
        self.add_error(field, str(refusal))

    def error_list(self) -> list[tuple[str, str]]:
        """(field, message) for every error, in the order of the steps."""
        return [
            (name, str(message))
            for name in self.STEPS
            if name in self.errors
            for message in self.errors[name]
        ]


class ConfirmForm(forms.Form):
    """The answer to POTENTIAL DUPLICATE FILE DETECTED."""

    decision = forms.ChoiceField(choices=[("yes", "Yes, upload file"), ("no", "No, don't upload")])


class HistoryFilterForm(forms.Form):
    """View Upload History: narrow the last 30 days by file name, status, records, file type,
    program."""

    name = forms.CharField(label="File name", required=False, max_length=255)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *STATUS_FILTER_LABELS]
    )
    kind = forms.ChoiceField(
        label="Records",
        required=False,
        choices=[("", "Learners and activities"), *UploadKind.choices],
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
