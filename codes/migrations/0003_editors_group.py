from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
MODELS = ["codeset", "section", "code", "contentsection"]
ACTIONS = ["add", "change", "view"]


def create_editors(apps, schema_editor):
    """Editors may add, change and view content, nothing else: no users, no plans, no deletes."""
    # Permissions are normally created after all migrations; the group needs them now.
    for label in ("codes",):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    # Editors remove a content section by deleting it inline.
    codenames.append("delete_contentsection")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="codes", codename__in=codenames)
    )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0002_history_and_optional_plain_description"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
