"""Synonyms and embeddings no longer bump the catalogue version (codes/migrations/0009 made them).

The catalogue version keys the cached parts of every code page (codes/pages.py), and no code
page shows a synonym or a vector: an editor's synonym edit emptied the cache of every page for
nothing. Search reads synonyms on every query, and the vectors have their own version
(`codes_vector_version`, whose trigger stays), so neither needs the catalogue's.
"""

from django.db import migrations

TABLES = ["codes_searchsynonym", "codes_codeembedding"]

DROP_TRIGGERS = "".join(f"DROP TRIGGER IF EXISTS {table}_changed ON {table};\n" for table in TABLES)
TRIGGERS = "".join(
    f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION codes_bump_catalogue_version();\n"
    for table in TABLES
)


class Migration(migrations.Migration):
    dependencies = [("codes", "0011_more_lay_words")]

    operations = [migrations.RunSQL(DROP_TRIGGERS, TRIGGERS)]
