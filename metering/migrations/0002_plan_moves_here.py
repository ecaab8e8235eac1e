"""Plans belong to metering, which owns every rule about who may see what. This migration and
accounts 0004 move the model without touching the table; metering 0003 then renames the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("metering", "0001_initial"), ("accounts", "0003_site_name")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Plan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("slug", models.SlugField(max_length=20, unique=True)),
                        ("name", models.CharField(max_length=40)),
                        (
                            "views_per_period",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Code pages a viewer may open per period; empty means unlimited.",
                                null=True,
                            ),
                        ),
                        (
                            "access",
                            models.CharField(
                                choices=[
                                    ("none", "No content sections"),
                                    ("registered", "Registered sections"),
                                    ("premium", "Registered and premium sections"),
                                ],
                                help_text="Which content sections this plan may read.",
                                max_length=12,
                            ),
                        ),
                        ("description", models.CharField(blank=True, max_length=200)),
                    ],
                    options={
                        "ordering": ("views_per_period", "slug"),
                        "db_table": "accounts_plan",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("access__in", ["none", "registered", "premium"])
                                ),
                                name="accounts_plan_access_valid",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
