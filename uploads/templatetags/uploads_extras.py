"""Small template filters for the upload screens."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def thousands(value: int | None) -> str:
    """2500 → "2,500", as PARS writes record counts."""
    return f"{value or 0:,}"
