"""Lay words and phrases the judged query set (bench/judged_queries.toml) showed missing."""

from django.db import migrations

SYNONYMS = [
    ("chickenpox", "varicella", "lay"),
    ("cesarean section", "extraction products conception", "synonym"),
    ("c section", "extraction products conception", "lay"),
]


def seed(apps, schema_editor):
    SearchSynonym = apps.get_model("codes", "SearchSynonym")
    for term, alternatives, kind in SYNONYMS:
        SearchSynonym.objects.get_or_create(
            term=term, defaults={"alternatives": alternatives, "kind": kind}
        )


def unseed(apps, schema_editor):
    apps.get_model("codes", "SearchSynonym").objects.filter(
        term__in=[term for term, _, _ in SYNONYMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("codes", "0010_seed_search_synonyms")]

    operations = [migrations.RunPython(seed, unseed)]
