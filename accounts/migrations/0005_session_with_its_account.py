"""Sessions move to a table that names their account (accounts.sessions). Sessions that are still
valid are copied over, so nobody is signed out by the upgrade."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_sessions(apps, schema_editor):
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    OldSession = apps.get_model("sessions", "Session")
    Session = apps.get_model("accounts", "Session")
    User = apps.get_model("accounts", "User")
    users = set(User.objects.values_list("pk", flat=True))
    decode = SessionStore().decode
    copied = []
    for old in OldSession.objects.filter(expire_date__gt=timezone.now()).iterator():
        user_id = decode(old.session_data).get("_auth_user_id")
        user_id = int(user_id) if user_id and str(user_id).isdigit() else None
        copied.append(
            Session(
                session_key=old.session_key,
                session_data=old.session_data,
                expire_date=old.expire_date,
                user_id=user_id if user_id in users else None,
            )
        )
    Session.objects.bulk_create(copied, batch_size=2000)
    OldSession.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_plan_in_metering_and_meter_key"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, migrations.RunPython.noop),
    ]
