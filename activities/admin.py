"""Activities in the Django admin: their form goes through the same Appendix A rules as every door.

The change form has no model fields of its own: its values become an `ActivityInput` that the
services judge and store, so an admin gets the same codes as SaveActivity, the screens and the
batch files. MOC registrations are edited as lines of the form ("ABIM | 10 | Medical
Knowledge; Patient Safety | practice area"), so they are judged with the activity; deleting goes
through the same service (106/492).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from activities.forms import OpenMultipleChoiceField
from activities.inputs import ADD, UPDATE, ActivityInput, MocInput, input_from_activity
from activities.models import Activity, ActivityStatus, PracticeArea, Specialty
from activities.services import activity_delete, activity_judge, activity_store
from activities.status import Judged
from learners.models import ActivityFormat
from portal.models import Provider

TEXT_FIELDS = (
    "provider_activity_id", "title", "start_date", "end_date", "credit_claim_date",
    "ama_credits", "url", "city", "state", "country", "physicians", "other_learners",
)  # fmt: skip


def _moc_lines(moc: tuple[MocInput, ...]) -> str:
    return "\n".join(
        " | ".join([m.board, m.points, "; ".join(m.credit_types), m.practice_area]).rstrip(" |")
        for m in moc
    )


def _parse_moc(text: str) -> tuple[MocInput, ...]:
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", "", ""]
        types = tuple(t.strip() for t in parts[2].split(";") if t.strip())
        found.append(
            MocInput(board=parts[0], points=parts[1], credit_types=types, practice_area=parts[3])
        )
    return tuple(found)


class ActivityAdminForm(forms.ModelForm):
    provider = forms.ModelChoiceField(queryset=Provider.objects.order_by("accme_id"))
    provider_activity_id = forms.CharField(label="Provider Activity ID", required=False)
    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 80}))
    format_name = forms.CharField(label="Format", required=False, widget=forms.Select)
    start_date = forms.CharField(required=False, help_text="YYYY-MM-DD or MM/DD/YYYY")
    end_date = forms.CharField(required=False)
    credit_claim_date = forms.CharField(required=False, help_text="Blank: the end date.")
    ama_credits = forms.CharField(label="AMA PRA Category 1 credits", required=False)
    providership = forms.CharField(required=False, help_text="direct or joint")
    joint_providers = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.CharField(label="URL", required=False)
    city = forms.CharField(required=False)
    state = forms.CharField(required=False)
    country = forms.CharField(required=False, help_text="ISO 3166 alpha-3, e.g. USA")
    specialties = OpenMultipleChoiceField(required=False)
    commercial_support = forms.CharField(required=False, help_text="yes or no")
    physicians = forms.CharField(label="Number of physicians", required=False)
    other_learners = forms.CharField(label="Number of other learners", required=False)
    status = forms.CharField(required=False, widget=forms.Select(choices=ActivityStatus.choices))
    rems = forms.CharField(label="Opioid Analgesic REMS", required=False, help_text="yes or no")
    moc = forms.CharField(
        label="MOC registrations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="One board per line: board | points | credit types separated by ; | practice area",
    )

    class Meta:
        model = Activity
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        formats = ActivityFormat.objects.order_by("name").values_list("name", flat=True)
        self.fields["format_name"].widget.choices = [("", "—"), *((n, n) for n in formats)]  # type: ignore[attr-defined]
        names = Specialty.objects.values_list("name", flat=True)
        self.fields["specialties"].choices = [(n, n) for n in names]  # type: ignore[attr-defined]
        self.judged: Judged | None = None
        self.existing: Any = None
        if self.instance.pk:
            self.fields["provider"].disabled = True
            self.initial.update(self._stored_initial(self.instance))

    @staticmethod
    def _stored_initial(activity: Activity) -> dict[str, Any]:
        stored = input_from_activity(activity)
        initial: dict[str, Any] = {name: getattr(stored, name) for name in TEXT_FIELDS}
        initial.update(
            provider=activity.provider_id,
            format_name=stored.format_name,
            providership=stored.providership,
            joint_providers="\n".join(stored.joint_providers),
            description=stored.description,
            specialties=list(stored.specialties),
            commercial_support=stored.commercial_support,
            status=activity.status,
            rems=stored.rems or "no",
            moc=_moc_lines(stored.moc),
        )
        return initial

    def activity_input(self) -> ActivityInput:
        data = self.cleaned_data
        values: dict[str, Any] = {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}
        item = ActivityInput(
            action=UPDATE if self.instance.pk else ADD,
            accme_activity_id=self.instance.activity_id if self.instance.pk else "",
            format_name=data.get("format_name") or "",
            providership=(data.get("providership") or "").strip(),
            joint_providers=tuple(
                n.strip() for n in (data.get("joint_providers") or "").splitlines() if n.strip()
            ),
            description=(data.get("description") or "").strip(),
            specialties=tuple(data.get("specialties") or ()),
            commercial_support=(data.get("commercial_support") or "").strip(),
            status=data.get("status") or "",
            rems=(data.get("rems") or "").strip(),
            moc=_parse_moc(data.get("moc") or ""),
            **values,
        )
        return item

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        provider = data.get("provider") or (self.instance.provider if self.instance.pk else None)
        if provider is None or self.errors:
            return data
        judged, existing = activity_judge(
            provider=provider, item=self.activity_input(), today=timezone.localdate()
        )
        for error in judged.errors:
            self.add_error(self._field_for(error.field), f"{error.code}: {error.message}")
        self.judged, self.existing = judged, existing
        return data

    def _post_clean(self) -> None:
        """No model validation of the instance: the rules judged the values, the service stores."""

    def _field_for(self, error_field: str) -> str | None:
        if error_field.startswith("moc:"):
            return "moc"
        return error_field if error_field in self.fields else None


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    form = ActivityAdminForm
    list_display = [
        "activity_id", "provider_activity_id", "title", "provider", "format", "start_date",
        "reporting_year", "status", "rems_registered",
    ]  # fmt: skip
    list_filter = [
        "status",
        "reporting_year",
        "format",
        "rems_registered",
        "moc_registrations__board",
    ]
    search_fields = ["activity_id", "provider_activity_id", "title", "provider__accme_id"]
    list_select_related = ["provider", "format"]
    fieldsets = [
        (None, {"fields": ["provider", "provider_activity_id", "title", "format_name", "status"]}),
        ("Dates and credits", {"fields": ["start_date", "end_date", "credit_claim_date", "ama_credits"]}),
        ("Details", {"fields": ["providership", "joint_providers", "description", "url", "specialties",
                                "commercial_support"]}),
        ("Location", {"fields": ["city", "state", "country"]}),
        ("Registrations", {"fields": ["moc", "rems"]}),
        ("Closing", {"fields": ["physicians", "other_learners"]}),
    ]  # fmt: skip

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # The bulk delete would skip the rules; one activity at a time goes through them.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Activity, form: Any, change: bool) -> None:
        assert form.judged is not None and form.judged.accepted
        provider = form.cleaned_data.get("provider") or obj.provider
        item = form.activity_input()
        outcome = activity_store(
            provider=provider, judged=form.judged, existing=form.existing, item=item
        )
        if outcome.activity is None:
            raise ValueError(f"The activity was not stored: {outcome.codes}")
        # The admin goes on with `obj` (its log entry and redirect): make it the stored row.
        stored = Activity.objects.get(pk=outcome.activity.pk)
        obj.__dict__.update({k: v for k, v in stored.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Registrations and specialties were stored with the activity by the service."""

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        activity = self.get_object(request, object_id)
        allowed = activity is not None and self.has_delete_permission(request, activity)
        if request.method == "POST" and allowed and activity is not None:
            outcome = activity_delete(
                provider=activity.provider, activity=activity, today=timezone.localdate()
            )
            if not outcome.accepted:
                text = "; ".join(f"{e.code}: {e.message}" for e in outcome.errors)
                self.message_user(request, f"Not deleted. {text}", messages.ERROR)
                url = reverse("admin:activities_activity_change", args=[activity.pk])
                return HttpResponseRedirect(url)
            self.message_user(
                request, f"Activity {activity.activity_id} was deleted.", messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:activities_activity_changelist"))
        return super().delete_view(request, object_id, extra_context)


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(PracticeArea)
class PracticeAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "board"]
    list_filter = ["board"]
    search_fields = ["name", "board__code"]
