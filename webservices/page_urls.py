"""The staff's Web services pages, under /web-services/ (the services themselves are /services/)."""

from __future__ import annotations

from django.urls import path

from webservices import pages

app_name = "webservice_pages"

urlpatterns = [
    path("", pages.call_list, name="calls"),
    path("calls/<int:call_id>/", pages.call_detail, name="call"),
    path("calls/<int:call_id>/support-ticket.txt", pages.call_ticket, name="ticket"),
    path("accounts/", pages.account_list, name="accounts"),
    path("accounts/<int:account_id>/rotate/", pages.account_rotate, name="rotate"),
    path("accounts/<int:account_id>/active/", pages.account_active, name="active"),
]
