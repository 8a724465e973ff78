"""Housekeeping of the web services: thin tasks that call a service."""

from __future__ import annotations

from celery import shared_task

from webservices.auth import trusted_addresses_purge
from webservices.calllog import request_log_purge


@shared_task(name="webservices.purge_request_log")
def purge_request_log() -> int:
    """Delete request-log entries older than 30 days, and addresses not trusted any more;
    returns how many entries. Safe to run again."""
    trusted_addresses_purge()
    return request_log_purge()
