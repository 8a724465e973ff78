"""Every email the portal sends, kept as a row: queued once, sent by a retrying task."""

from __future__ import annotations

from django.db import models


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"


FINAL_EMAIL_STATUSES = (EmailStatus.SENT, EmailStatus.FAILED)


class Email(models.Model):
    # What the email is about, said once ("upload-complete:42:…"): queueing the same key again
    # (a retried task, a redelivered message) finds this row instead of sending a second email.
    key = models.CharField(max_length=200, unique=True)
    # The object it tells about ("upload:42", "provider:7"), to list an upload's emails.
    about = models.CharField(max_length=100, db_index=True, blank=True)
    to = models.CharField(max_length=254)
    # An email queued in bulk (the board cycle's thousands) is rendered by its send task, from
    # these facts: `kind` names the message (emails.messages.render_facts), `facts` its ids.
    kind = models.CharField(max_length=40, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next try is due: set after a failed try, so the sweep knows a retry is overdue.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        # An email queued as facts has no subject until its send task renders it.
        return f"{self.subject or self.kind} → {self.to} ({self.get_status_display()})"
