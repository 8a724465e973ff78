"""A Provider Activity ID is one provider's in any case: 'course-1' and 'COURSE-1' are one id."""

from typing import Any

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Upper


def refuse_ids_in_two_cases(apps: Any, schema_editor: Any) -> None:
    """Name the activities whose ids differ only in case, for staff to rename one of each, rather
    than stop at the database's bare refusal of the new constraint."""
    Activity = apps.get_model("activities", "Activity")
    clashes = (
        Activity.objects.values("provider__accme_id", own_key=Upper("provider_activity_id"))
        .annotate(count=models.Count("id"))
        .filter(count__gt=1)
        .order_by("provider__accme_id", "own_key")
    )
    if clashes:
        named = "; ".join(f"provider {c['provider__accme_id']}: {c['own_key']}" for c in clashes)
        raise RuntimeError(
            "Provider Activity IDs are now one id in any case, and these are held by more than "
            f"one activity each (rename all but one, then migrate again): {named}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0004_activity_with_its_provider"),
        ("learners", "0012_activity_with_its_provider"),
        ("portal", "0002_auth_throttle_counters"),
    ]

    operations = [
        migrations.RunPython(refuse_ids_in_two_cases, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="activity",
            name="provider_activity_id_unique",
        ),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.UniqueConstraint(
                models.F("provider"),
                django.db.models.functions.text.Upper("provider_activity_id"),
                name="provider_activity_id_unique",
            ),
        ),
    ]
