from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from portal.models import AuthThrottle, Membership, Provider, WebServiceAccount


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["accme_id", "name", "primary_contact_email", "participates_in_rems"]
    list_filter = ["participates_in_rems"]
    search_fields = ["accme_id", "name", "primary_contact_email"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role", "created_at"]
    list_filter = ["role", "provider"]
    search_fields = ["user__email", "user__username", "provider__accme_id", "provider__name"]
    autocomplete_fields = ["user", "provider"]


class WebServiceAccountForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored hashed. Leave empty to keep the current password.",
    )

    class Meta:
        model = WebServiceAccount
        fields = ["provider", "username", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.instance.pk and not cleaned.get("new_password"):
            self.add_error("new_password", "A new account needs a password.")
        return cleaned

    def save(self, commit: bool = True) -> WebServiceAccount:
        account = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            account.set_password(self.cleaned_data["new_password"])
        if commit:
            account.save()
        return account


@admin.register(WebServiceAccount)
class WebServiceAccountAdmin(admin.ModelAdmin):
    form = WebServiceAccountForm
    list_display = ["username", "provider", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["username", "provider__accme_id", "provider__name"]
    autocomplete_fields = ["provider"]


@admin.register(AuthThrottle)
class AuthThrottleAdmin(admin.ModelAdmin):
    list_display = ["scope", "key", "failures", "in_flight", "window_start"]
    list_filter = ["scope"]
    search_fields = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
