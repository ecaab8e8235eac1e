"""The plan model now lives in metering (see metering 0002), and every account gets the meter key
its views are counted under: for existing accounts the keyed hash of their current address, which
is what their meters were keyed by until now, so no account loses or gains a view."""

import hashlib
import hmac

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.encoding import force_bytes


def address_hash(email: str) -> str:
    # As metering.viewers.address_hash (django.utils.crypto.salted_hmac, frozen here).
    salt = "codeahead.metering.account"
    key = hashlib.sha256(force_bytes(salt + settings.SECRET_KEY)).digest()
    return hmac.new(key, force_bytes(email.strip().lower()), hashlib.sha256).hexdigest()


def give_meter_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = [
        User(pk=pk, meter_key=address_hash(email))
        for pk, email in User.objects.values_list("pk", "email")
    ]
    User.objects.bulk_update(users, ["meter_key"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_site_name"), ("metering", "0002_plan_moves_here")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="plan",
                    field=models.ForeignKey(
                        help_text="Staff members get the staff plan whatever is set here.",
                        limit_choices_to=models.Q(("slug", "guest"), _negated=True),
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="users",
                        to="metering.plan",
                    ),
                ),
                migrations.DeleteModel(name="Plan"),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="user",
            name="meter_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(give_meter_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="meter_key",
            field=models.CharField(
                editable=False,
                help_text="The key this account's code page views are counted under; set once, "
                "when the account is created, and kept when its address changes "
                "(metering.viewers).",
                max_length=64,
                unique=True,
            ),
        ),
    ]
