"""Recompute the directory's name keys now that names fold to ASCII (Ø→O, æ→ae, ß→ss)."""

from django.db import migrations

from learners.engine.names import name_key

BATCH = 2000


def recompute(apps, schema_editor):
    Learner = apps.get_model("learners", "Learner")
    changed = []
    for learner in Learner.objects.only("first_name", "last_name", "first_name_key", "last_name_key").iterator(chunk_size=BATCH):
        first, last = name_key(learner.first_name), name_key(learner.last_name)
        if (first, last) != (learner.first_name_key, learner.last_name_key):
            learner.first_name_key, learner.last_name_key = first, last
            changed.append(learner)
        if len(changed) >= BATCH:
            Learner.objects.bulk_update(changed, ["first_name_key", "last_name_key"])
            changed = []
    Learner.objects.bulk_update(changed, ["first_name_key", "last_name_key"])


class Migration(migrations.Migration):
    dependencies = [("learners", "0003_completionrecord_drop_redundant_fk_indexes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
