"""One way to page a list on every screen: PARS's "Showing 1 - 25 of N" with numbered links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def page_of(request: HttpRequest, items: QuerySet[Any] | Sequence[Any], per_page: int) -> Page[Any]:
    """The page `?page=` asks for; a missing or bad number gives a page that exists, never an error."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    page.page_links = list(  # type: ignore[attr-defined]
        page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    return page
