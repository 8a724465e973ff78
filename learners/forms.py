"""Forms of the learner screens: they parse what staff type; the engine judges it.

The filter forms turn a query string into filter values. The manual-entry forms deliberately keep
every learner field an optional string: a missing name or a bad date must get the engine's PARS
code (622, 671, …) exactly as in a file, not a form message of their own.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from activities.models import Activity
from learners.engine.code_fields import fields_at_fault
from learners.engine.matching import MatchCriteria, MatchProblem
from learners.engine.rems import DEA_REGISTRATIONS, PRACTICE_AREAS, PROFESSIONS, TIMES_IN_PRACTICE
from learners.engine.results import RowError
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS, LearnerRow
from learners.engine.states import STATES
from learners.models import Board, CreditType, RecordStatus
from learners.records import (
    ActivityFilters,
    LearnerSearchFilters,
    activity_program_choices,
    activity_reporting_years,
)
from portal.models import Provider

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
MONTH_CHOICES = [("", "—"), *((m, calendar.month_name[m]) for m in range(1, 13))]
DAY_CHOICES = [("", "—"), *((d, str(d)) for d in range(1, 32))]
STATE_CHOICES = [("", "—"), *((code, f"{code} — {name}") for code, name in STATES.items())]


class PortalForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels read as PARS's, without a colon
        super().__init__(*args, **kwargs)


def _text(label: str, max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


def _optional_int(label: str, choices: list[tuple[Any, str]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, required=False, choices=choices, coerce=int, empty_value=None
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _choice_text(label: str, allowed: tuple[str, ...]) -> forms.CharField:
    """A select of the REMS allowed values that still hands the engine whatever was posted."""
    choices = [("", "—"), *((value, value) for value in allowed)]
    return forms.CharField(
        label=label, required=False, max_length=60, widget=forms.Select(choices=choices)
    )


class ActivityFilterForm(PortalForm):
    """Activity Learner Summary: "Search for Learner Activities by using the filters below"."""

    title = _text("Activity title", 500)
    provider_activity_id = _text("Provider Activity ID", 50)
    program = forms.ChoiceField(label="Board or program name", required=False)
    reporting_year = _optional_int("Reporting year", [])

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [  # type: ignore[attr-defined]
            ("", "All boards and programs"),
            *activity_program_choices(provider),
        ]
        self.fields["reporting_year"].choices = [  # type: ignore[attr-defined]
            ("", "All years"),
            *((year, str(year)) for year in activity_reporting_years(provider)),
        ]

    def filters(self) -> ActivityFilters:
        return ActivityFilters(**self.cleaned_data)


class LearnerSearchForm(PortalForm):
    """Learner Search: any combination of the learner's identity and the completion."""

    first_name = _text("First name", 100)
    last_name = _text("Last name", 100)
    board_id = _text("Certifying board ID", 50)
    npi_or_license = _text("NPI or licensing ID", 50)
    birth_month = _optional_int("Birth month", MONTH_CHOICES)
    birth_day = _optional_int("Birth day", DAY_CHOICES)
    activity = _text("Activity (ACCME or Provider Activity ID, or title)", 500)
    completed_from = _date("Completed from")
    completed_to = _date("Completed to")
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *RecordStatus.choices]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and start > end:
            # At the field, so it is marked and the summary leads to it.
            self.add_error("completed_to", "The completion date range ends before it starts.")
        return data

    def filters(self) -> LearnerSearchFilters:
        return LearnerSearchFilters(**self.cleaned_data)


def _credit_type_choices(activity: Activity) -> list[tuple[str, Any]]:
    """The credit types the activity offers (its registrations'), grouped by board, for a
    select: a type its board knows but the activity doesn't offer would only be refused (735)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    types = (
        CreditType.objects.filter(mocregistration__activity=activity)
        .select_related("board")
        .order_by("board__code", "name")
    )
    for credit_type in types.distinct():
        groups.setdefault(credit_type.board.code, []).append((credit_type.name, credit_type.name))
    return [("", "—"), *groups.items()]


@dataclass(frozen=True)
class EntryProblem:
    """One reason an entry was not accepted, and the id of the field to go to ("" for none)."""

    code: str
    message: str
    field_id: str = ""


class EntryForm(PortalForm):
    """What both entry forms share: the engine's row, and its codes shown on the fields."""

    program = "board"
    columns = BOARD_COLUMNS

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activity = activity

    def learner_row(self) -> LearnerRow:
        """The engine's row for this completion, exactly as a file row would carry it."""
        return LearnerRow(
            row_number=1,
            record_action="Add",
            activity_id=self.activity.activity_id,
            **self.cleaned_data,
        )

    def show_rejection(self, errors: Sequence[RowError]) -> list[EntryProblem]:
        """Put each of the engine's codes beside the fields it is about (`aria-invalid`, the
        message linked by `aria-describedby`); the summary lists them all, each linking to its
        first field."""
        values = {name: str(value) for name, value in self.data.items()}
        problems = []
        for error in errors:
            text = f"{error.code}: {error.message}"
            fields = [
                name
                for name in fields_at_fault(error, values, columns=self.columns)
                if name in self.fields
            ]
            for name in fields:
                self.add_error(name, text)
            anchor = self[fields[0]].id_for_label if fields else ""
            problems.append(EntryProblem(error.code, error.message, anchor))
        return problems

    def form_problems(self) -> list[EntryProblem]:
        """The form's own errors (a value too long), in the summary's shape."""
        return [
            EntryProblem("", f"{self[name].label}: {message}", self[name].id_for_label)
            for name, messages in self.errors.items()
            if name in self.fields
            for message in messages
        ]


class ManualEntryForm(EntryForm):
    """One learner completion, with the columns of the tab-delimited learner file (SPEC §2.1)."""

    program = "board"

    completion_date = _text("Completion Date", 20, type="date")
    first_name = _text("First Name", 100, autocomplete="off")
    last_name = _text("Last Name", 100, autocomplete="off")
    birth_date = _text("Date of Birth (MM/DD)", 10, placeholder="MM/DD", inputmode="numeric")
    licensing_state = forms.CharField(
        label="Licensing State", required=False, max_length=30, widget=forms.Select
    )
    license_id = _text("Licensing ID or NPI", 50)
    cme_credits = _text("Number of CME Credits", 10, inputmode="decimal")
    board = forms.CharField(
        label="Certifying Board", required=False, max_length=10, widget=forms.Select
    )
    board_id = _text("Certifying Board ID", 50)
    board_points = _text("Total Board Credits", 10, inputmode="decimal")
    credit_type = forms.CharField(
        label="Credit Type", required=False, max_length=100, widget=forms.Select
    )
    credit_type_points = _text("Credits Awarded for Credit Type", 10, inputmode="decimal")
    additional_credit_type = forms.CharField(
        label="Additional Credit Type", required=False, max_length=100, widget=forms.Select
    )
    additional_credit_type_points = _text(
        "Credits Awarded for Additional Credit Type", 10, inputmode="decimal"
    )

    CME_FIELDS = ("licensing_state", "license_id", "cme_credits")
    MOC_FIELDS = (
        "board",
        "board_id",
        "board_points",
        "credit_type",
        "credit_type_points",
        "additional_credit_type",
        "additional_credit_type_points",
    )

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, activity=activity, **kwargs)
        # Choices only help the user pick; the field stays a plain string the engine judges.
        self.fields["licensing_state"].widget.choices = STATE_CHOICES  # type: ignore[attr-defined]
        boards = [
            (b.code, f"{b.code} — {b.name}")
            for b in Board.objects.filter(mocregistration__activity=activity).distinct()
        ]
        given = str(self.data.get("board") or self.initial.get("board") or "")
        if given and given not in dict(boards):
            # A board the activity isn't registered with stays visible; the engine says 670.
            boards.append((given, f"{given} (not registered for this activity)"))
        self.fields["board"].widget.choices = [("", "—"), *boards]  # type: ignore[attr-defined]
        credit_types = _credit_type_choices(activity)
        for name in ("credit_type", "additional_credit_type"):
            self.fields[name].widget.choices = credit_types  # type: ignore[attr-defined]

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("completion_date", "first_name", "last_name", "birth_date")]

    def cme_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CME_FIELDS]

    def moc_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MOC_FIELDS]


# What a Learner Match result hands to a manual entry: the identity fields of the entry form.
PREFILL_FIELDS = (
    "first_name", "last_name", "birth_date", "licensing_state", "license_id", "board", "board_id",
)  # fmt: skip


def entry_prefill(query: Mapping[str, str]) -> dict[str, str]:
    """The entry form's starting values from a query string (only the identity fields)."""
    return {name: str(query[name])[:100] for name in PREFILL_FIELDS if query.get(name)}


class RemsEntryForm(EntryForm):
    """One de-identified Opioid Analgesic REMS completion: no name, birth date or ids."""

    program = "rems"
    columns = REMS_COLUMNS

    completion_date = _text("Completion Date", 20, type="date")
    # Longer than the engine takes, so that a too-long id gets the engine's 715 as in a file.
    learner_local_id = _text("Learner Local ID", 1000)
    profession = _choice_text("Profession", PROFESSIONS)
    practice_area = _choice_text("Practice Area", PRACTICE_AREAS)
    dea_registration = _choice_text("DEA Registration", DEA_REGISTRATIONS)
    practice_state = forms.CharField(
        label="State of Primary Practice", required=False, max_length=30, widget=forms.Select
    )
    time_in_practice = _choice_text("Time in Practice", TIMES_IN_PRACTICE)
    performs_surgery = forms.CharField(
        label="Performs Surgical Procedures",
        required=False,
        max_length=5,
        widget=forms.Select(choices=[("", "—"), ("Y", "Yes"), ("N", "No")]),
    )

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        # Its own ids keep each label on its own field should both forms share a page.
        kwargs.setdefault("auto_id", "id_rems_%s")
        super().__init__(*args, activity=activity, **kwargs)
        self.fields["practice_state"].widget.choices = STATE_CHOICES  # type: ignore[attr-defined]


class LearnerMatchForm(PortalForm):
    """PARS's Learner Match: first and last name and at least one more fact."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    birth_month = _optional_int("Birth month", MONTH_CHOICES)
    birth_day = _optional_int("Birth day", DAY_CHOICES)
    npi = _text("NPI", 10, inputmode="numeric")
    licensing_state = forms.ChoiceField(
        label="Licensing state", required=False, choices=STATE_CHOICES
    )
    license_id = _text("Licensing ID", 100)
    board = forms.ChoiceField(label="Certifying board", required=False)
    board_id = _text("Certifying board ID", 100)
    medical_school = _text("Medical school", 255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *Board.objects.values_list("code", "code"),
        ]

    def show_problems(self, problems: Sequence[MatchProblem]) -> None:
        """Each reason the values can't match beside the field it is about."""
        for problem in problems:
            if problem.field in self.fields:
                self.add_error(problem.field, problem.message)

    def entry_prefill(self) -> dict[str, str]:
        """What was matched, as the manual entry form's fields (its "Licensing ID or NPI"
        column holds a licence when a state is given, else the NPI)."""
        data = self.cleaned_data
        month, day = data.get("birth_month"), data.get("birth_day")
        prefill = {
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "birth_date": f"{month:02d}/{day:02d}" if month and day else "",
            "licensing_state": data.get("licensing_state", "") if data.get("license_id") else "",
            "license_id": data.get("license_id") or data.get("npi", ""),
            "board": data.get("board", "") if data.get("board_id") else "",
            "board_id": data.get("board_id", "") if data.get("board") else "",
        }
        return {name: value for name, value in prefill.items() if value}

    def match_criteria(self) -> MatchCriteria:
        """The request for the engine's Learner Match, which judges the values."""
        data = self.cleaned_data
        return MatchCriteria(
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_month=data["birth_month"],
            birth_day=data["birth_day"],
            npi=data["npi"],
            licensing_state=data["licensing_state"],
            license_id=data["license_id"],
            board_ids=((data["board"], data["board_id"]),)
            if data["board"] or data["board_id"]
            else (),
            medical_school=data["medical_school"],
        )
