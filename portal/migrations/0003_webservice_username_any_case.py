"""A web-service user name (an email address) is one account's in any case."""

from typing import Any

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Upper


def refuse_names_in_two_cases(apps: Any, schema_editor: Any) -> None:
    """Name the accounts whose user names differ only in case, for an admin to rename one of
    each, rather than stop at the database's bare refusal of the new constraint."""
    Account = apps.get_model("portal", "WebServiceAccount")
    clashes = (
        Account.objects.values(name_key=Upper("username"))
        .annotate(count=models.Count("id"))
        .filter(count__gt=1)
        .order_by("name_key")
    )
    if clashes:
        named = ", ".join(c["name_key"] for c in clashes)
        raise RuntimeError(
            "Web-service user names are now one name in any case, and these are held by more "
            f"than one account each (rename all but one, then migrate again): {named}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_auth_throttle_counters"),
    ]

    operations = [
        migrations.RunPython(refuse_names_in_two_cases, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="webserviceaccount",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("username"),
                name="webservice_username_any_case",
            ),
        ),
    ]
