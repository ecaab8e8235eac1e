from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0002_plan_moves_here"),
        ("accounts", "0004_plan_in_metering_and_meter_key"),
    ]

    operations = [
        # accounts_plan becomes metering_plan; foreign keys follow the table.
        migrations.AlterModelTable(name="plan", table=None),
        migrations.RemoveConstraint(model_name="plan", name="accounts_plan_access_valid"),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(("access__in", ["none", "registered", "premium"])),
                name="metering_plan_access_valid",
            ),
        ),
        migrations.AlterField(
            model_name="meter",
            name="scope",
            field=models.CharField(
                choices=[
                    ("account", "Account (its meter key)"),
                    ("guest", "Guest (random id kept in the session)"),
                    ("network", "Network and browser fingerprint (guests, per day)"),
                    ("netcap", "Network, whatever the browser (guests, per day)"),
                ],
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="RetiredAccountKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address_hash", models.CharField(max_length=64, unique=True)),
                ("meter_key", models.CharField(max_length=64)),
                (
                    "retired_on",
                    models.DateField(
                        help_text="When the account was deleted; pruned after the retention period."
                    ),
                ),
            ],
            options={"ordering": ("-retired_on",)},
        ),
    ]
