from __future__ import annotations

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from activities.reference_data import load_activity_reference_data

    load_activity_reference_data(
        apps.get_model("activities", "Specialty"),
        apps.get_model("activities", "PracticeArea"),
        apps.get_model("learners", "Board"),
    )


def ready_to_close(apps, schema_editor):
    # "Ready to Close" is new: an active activity whose end date has passed is ready to close.
    Activity = apps.get_model("activities", "Activity")
    Activity.objects.filter(status="active", end_date__lt=timezone.localdate()).update(
        status="ready_to_close"
    )


def back_to_active(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    Activity.objects.filter(status="ready_to_close").update(status="active")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_portal_fields"),
        ("learners", "0002_reference_data"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(ready_to_close, back_to_active),
    ]
