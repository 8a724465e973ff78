from __future__ import annotations

from django.db import migrations


def load(apps, schema_editor):
    from learners.reference_data import load_reference_data

    load_reference_data(
        apps.get_model("learners", "Board"),
        apps.get_model("learners", "CreditType"),
        apps.get_model("learners", "ActivityFormat"),
    )


class Migration(migrations.Migration):
    dependencies = [("learners", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
