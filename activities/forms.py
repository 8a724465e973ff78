"""Forms of the activity screens: they parse what staff type; the rules judge it.

Every activity field is an optional string (choices only help the user pick): a missing title
or a bad date gets its Appendix A code from the rules, exactly as in a file or a web-service
call, never a form message of its own. `show_errors` puts each code beside its field and marks
the field invalid for assistive technology; the summary above the form takes the focus
(templates/activities/_errors.html, as every form's summary does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from activities.facts import ActivityError
from activities.inputs import MocInput
from activities.models import ActivityStatus, PracticeArea, Specialty
from learners.models import ActivityFormat, Board, CreditType

DATE = {"type": "date"}


class PortalForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels read as PARS's, without a colon
        super().__init__(*args, **kwargs)

    def show_errors(self, errors: Sequence[ActivityError], *, prefix: str = "") -> list[str]:
        """Put each error beside its field; return those that belong to no field on this form."""
        elsewhere: list[str] = []
        for error in errors:
            name = self.field_for(error.field.removeprefix(prefix))
            text = f"{error.code}: {error.message}"
            if name is None:
                elsewhere.append(text)
                continue
            self.add_error(name, text)
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"id_{name}_error"
        return elsewhere

    def field_for(self, error_field: str) -> str | None:
        return error_field if error_field in self.fields else None


def _text(label: str, **attrs: Any) -> forms.CharField:
    # No max_length: a value too long gets its Appendix A code from the rules, as in a file.
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs))


def _select(label: str, choices: list[tuple[str, str]]) -> forms.CharField:
    """A select that still hands the rules whatever was posted."""
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices))


class OpenMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes or a multi-select whose values the rules judge (304, 456), not the form."""

    def valid_value(self, value: str) -> bool:
        return True


YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]
PROVIDERSHIP = [("", "—"), ("direct", "Direct"), ("joint", "Joint")]


class ActivityForm(PortalForm):
    """Register an activity or edit it: the fields SPEC §4b names, and the status asked for."""

    provider_activity_id = _text("Provider Activity ID", autocomplete="off")
    title = _text("Activity title")
    format_name = _select("Activity format", [])
    start_date = _text("Start date", **DATE)
    end_date = _text("End date", **DATE)
    credit_claim_date = _text("Credit claim date", **DATE)
    ama_credits = _text("AMA PRA Category 1 Credits™ offered", inputmode="decimal")
    providership = _select("Providership", PROVIDERSHIP)
    joint_providers = forms.CharField(
        label="Joint provider names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One name per line (jointly provided activities).",
    )
    description = forms.CharField(
        label="Description of content", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    url = _text("URL", inputmode="url", placeholder="https://")
    city = _text("City")
    state = _text("State", placeholder="IL")
    country = _text("Country", placeholder="USA")
    specialties = OpenMultipleChoiceField(
        label="Specialties", required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    commercial_support = _select("Commercial support received", YES_NO)
    physicians = _text("Number of physicians (including residents)", inputmode="numeric")
    other_learners = _text("Number of other learners", inputmode="numeric")
    status = _select("Status", list(ActivityStatus.choices))

    GROUPS = {
        "activity": ("provider_activity_id", "title", "format_name", "description", "url",
                     "specialties"),
        "dates": ("start_date", "end_date", "credit_claim_date", "ama_credits"),
        "providership": ("providership", "joint_providers", "commercial_support"),
        "location": ("city", "state", "country"),
        "closing": ("physicians", "other_learners"),
    }  # fmt: skip

    def __init__(self, *args: Any, statuses: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        formats = ActivityFormat.objects.order_by("name").values_list("name", flat=True)
        self.fields["format_name"].widget.choices = [("", "—"), *((n, n) for n in formats)]  # type: ignore[attr-defined]
        specialties = Specialty.objects.values_list("name", flat=True)
        self.fields["specialties"].choices = [(n, n) for n in specialties]  # type: ignore[attr-defined]
        labels = dict(ActivityStatus.choices)
        allowed = statuses or list(labels)
        self.fields["status"].widget.choices = [(s, labels[s]) for s in allowed]  # type: ignore[attr-defined]

    @property
    def groups(self) -> dict[str, list[forms.BoundField]]:
        """The form's fieldsets, for the template (which can't pass arguments)."""
        return {name: [self[field] for field in fields] for name, fields in self.GROUPS.items()}

    def values(self) -> dict[str, Any]:
        """The ActivityInput fields this form carries, as strings."""
        data = dict(self.cleaned_data)
        data["joint_providers"] = tuple(
            line.strip() for line in data.get("joint_providers", "").splitlines() if line.strip()
        )
        data["specialties"] = tuple(data.get("specialties") or ())
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


class MocForm(PortalForm):
    """One board's MOC registration: points, that board's credit types, its practice area."""

    board = _select("Certifying board", [])
    points = _text("MOC points offered", inputmode="decimal")
    credit_types = OpenMultipleChoiceField(
        label="Credit types",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every credit type the board recognises.",
    )
    practice_area = _select("Practice area", [])

    def __init__(self, *args: Any, board: Board | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        boards = Board.objects.order_by("code")
        self.fields["board"].widget.choices = [  # type: ignore[attr-defined]
            ("", "— choose a board —"),
            *((b.code, f"{b.code} — {b.name}") for b in boards),
        ]
        types = CreditType.objects.filter(board=board) if board else CreditType.objects.none()
        self.fields["credit_types"].choices = [(t.name, t.name) for t in types]  # type: ignore[attr-defined]
        areas = PracticeArea.objects.filter(board=board) if board else PracticeArea.objects.none()
        self.asks_practice_area = areas.exists()
        self.fields["practice_area"].widget.choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((a.name, a.name) for a in areas),
        ]

    def moc_input(self) -> MocInput:
        data = self.cleaned_data
        return MocInput(
            board=data.get("board", "").strip(),
            points=data.get("points", "").strip(),
            credit_types=tuple(data.get("credit_types") or ()),
            practice_area=data.get("practice_area", "").strip(),
        )

    def field_for(self, error_field: str) -> str | None:
        # MOC errors are named "moc:<board>:<part>": this form shows one board's parts.
        parts = error_field.split(":")
        posted = str(self.data.get("board", "")).strip().casefold()
        if len(parts) == 3 and parts[0] == "moc" and parts[1].casefold() == posted:
            return parts[2] if parts[2] in self.fields else None
        return None


class ActivityFilterForm(PortalForm):
    """The Activities list's filters; empty values filter nothing."""

    q = _text("Title, Provider or ACCME Activity ID", type="search")
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *ActivityStatus.choices]
    )
    format = forms.ChoiceField(label="Format", required=False)
    reporting_year = forms.TypedChoiceField(
        label="Reporting year", required=False, coerce=int, empty_value=None
    )
    board = forms.ChoiceField(label="Registered for", required=False)

    def __init__(self, *args: Any, years: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        formats = ActivityFormat.objects.order_by("name").values_list("code", "name")
        self.fields["format"].choices = [("", "All formats"), *formats]  # type: ignore[attr-defined]
        self.fields["reporting_year"].choices = [  # type: ignore[attr-defined]
            ("", "All years"),
            *((y, str(y)) for y in years),
        ]
        boards = Board.objects.order_by("code").values_list("code", "code")
        self.fields["board"].choices = [  # type: ignore[attr-defined]
            ("", "Any registration"),
            *boards,
            ("REMS", "Opioid Analgesic REMS"),
        ]
