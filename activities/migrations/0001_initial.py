# The activity models move here from the learners app. Their tables stay as they are
# (db_table keeps the learners_ names): this migration only tells Django's state where they live,
# and learners' 0007 forgets them there.

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("learners", "0006_learner_me_number"),
        ("portal", "0001_initial"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="ActivityIdSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"db_table": "learners_activityidsequence"},
        ),
        migrations.CreateModel(
            name="Activity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("activity_id", models.CharField(editable=False, max_length=9, unique=True, validators=[django.core.validators.RegexValidator("^\\d{9}$", "An ACCME Activity ID is 9 digits.")], verbose_name="ACCME Activity ID")),
                ("provider_activity_id", models.CharField(max_length=50, verbose_name="Provider Activity ID")),
                ("title", models.CharField(max_length=500)),
                ("start_date", models.DateField()),
                ("end_date", models.DateField()),
                ("credit_claim_date", models.DateField(help_text="Learners may claim credit until this date.")),
                ("ama_credits", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=6, verbose_name="AMA PRA Category 1 credits offered")),
                ("reporting_year", models.PositiveSmallIntegerField(editable=False)),
                ("status", models.CharField(choices=[("draft", "Draft"), ("active", "Active"), ("closed", "Closed")], default="active", max_length=10)),
                ("rems_registered", models.BooleanField(default=False, verbose_name="registered for Opioid Analgesic REMS")),
                ("repeat_participation", models.BooleanField(default=True, verbose_name="learners may complete it more than once")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("provider", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="activities", to="portal.provider")),
                ("format", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="learners.activityformat")),
            ],
            options={
                "db_table": "learners_activity",
                "verbose_name_plural": "activities",
                "ordering": ["-start_date", "activity_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("provider", "provider_activity_id"), name="provider_activity_id_unique"),
                    models.CheckConstraint(condition=models.Q(("activity_id__regex", "^[0-9]{9}$")), name="activity_id_9_digits"),
                    models.CheckConstraint(condition=models.Q(("end_date__gte", models.F("start_date"))), name="activity_end_not_before_start"),
                    models.CheckConstraint(condition=models.Q(("credit_claim_date__gte", models.F("end_date"))), name="activity_claim_not_before_end"),
                    models.CheckConstraint(condition=models.Q(("ama_credits__gte", 0)), name="activity_ama_credits_not_negative"),
                ],
            },
        ),
        migrations.CreateModel(
            name="MocRegistration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("points", models.DecimalField(decimal_places=2, max_digits=6, verbose_name="MOC points offered")),
                ("activity", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="moc_registrations", to="activities.activity")),
                ("board", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="learners.board")),
                ("credit_types", models.ManyToManyField(blank=True, to="learners.credittype")),
            ],
            options={
                "db_table": "learners_mocregistration",
                "verbose_name": "MOC registration",
                "ordering": ["activity", "board__code"],
                "constraints": [
                    models.UniqueConstraint(fields=("activity", "board"), name="moc_registration_unique"),
                    models.CheckConstraint(condition=models.Q(("points__gt", 0)), name="moc_points_positive"),
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
    ]
