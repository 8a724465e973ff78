# Activity, MocRegistration and the ACCME Activity ID sequence now live in the activities app
# (activities' 0001 takes them over with the same tables). Only Django's state changes here:
# no table is created, dropped or altered, so every row stays where it is.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("learners", "0006_learner_me_number"),
        ("activities", "0001_initial"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="completionrecord",
            name="activity",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="records",
                to="activities.activity",
            ),
        ),
        migrations.DeleteModel(name="MocRegistration"),
        migrations.DeleteModel(name="Activity"),
        migrations.DeleteModel(name="ActivityIdSequence"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
    ]
