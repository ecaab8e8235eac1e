from django.db import migrations

# The four plans the product describes. Editors may change allowances later in the admin.
PLANS = [
    ("guest", "Guest", 1, "none", "Not signed in: one code page per month."),
    ("free", "Free", 6, "registered", "Verified free account: six code pages per month."),
    ("premium", "Premium", None, "premium", "Unlimited code pages and premium sections."),
    ("staff", "Staff", None, "premium", "CodeAhead staff: everything, unmetered."),
]


def seed_plans(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    for slug, name, views, access, description in PLANS:
        Plan.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "views_per_period": views,
                "access": access,
                "description": description,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_plans, migrations.RunPython.noop)]
