from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Consultants"
# Only this app's permissions: the desk, publishing, and reading questions in the admin.
CODENAMES = [
    "work_desk",
    "publish_question",
    "view_question",
    "change_question",
    "view_message",
    "add_message",
    "view_inboundmail",
]


def create_consultants(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("caseconsultant")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="caseconsultant", codename__in=CODENAMES)
    )


def remove_consultants(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("caseconsultant", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_consultants, remove_consultants)]
