from django.db import migrations

# CaseConsultant questions per period, per plan (None: unlimited). Editors change them later.
QUESTION_ALLOWANCES = {"guest": 0, "free": 1, "premium": 10, "staff": None}


def seed(apps, schema_editor):
    Plan = apps.get_model("metering", "Plan")
    for slug, allowance in QUESTION_ALLOWANCES.items():
        Plan.objects.filter(slug=slug).update(consultant_questions_per_period=allowance)


class Migration(migrations.Migration):
    dependencies = [("metering", "0005_question_quota")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
