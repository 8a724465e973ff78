"""Template filters of the learner screens: the same wording as the exports and the PDF."""

from __future__ import annotations

from django import template

from learners.exports import RecordCredit, record_birth_date, record_credits
from learners.models import CompletionRecord

register = template.Library()


@register.filter
def credits(record: CompletionRecord) -> list[RecordCredit]:
    """The record's credits, CME and MOC each on their own (see `record_credits`)."""
    return record_credits(record)


@register.filter
def birth_date(record: CompletionRecord) -> str:
    """MM/DD of the matched learner, "" for a de-identified (REMS) record."""
    return record_birth_date(record)
