"""A version of the catalogue that every write to it bumps, whatever makes the write (the admin,
an import, a revert, load_demo, plain SQL): code pages cache what does not depend on the viewer
under it (codes/pages.py), so no page can show text older than the last committed edit."""

from django.db import migrations

TABLES = [
    "codes_codeset",
    "codes_section",
    "codes_code",
    "codes_code_primary_codes",
    "codes_contentsection",
]

FORWARD = """
-- A sequence, so that a version is never handed out twice, even by a transaction rolled back;
-- the row, so that readers see a new version only once its writer committed.
CREATE SEQUENCE codes_catalogue_version_seq;
CREATE TABLE codes_catalogue_version (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO codes_catalogue_version (value) VALUES (nextval('codes_catalogue_version_seq'));
CREATE FUNCTION codes_bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO codes_catalogue_version (id, value) VALUES (1, nextval('codes_catalogue_version_seq'))
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END
$$;
""" + "".join(
    f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION codes_bump_catalogue_version();\n"
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_changed ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS codes_bump_catalogue_version();\n"
    "DROP TABLE IF EXISTS codes_catalogue_version;\n"
    "DROP SEQUENCE IF EXISTS codes_catalogue_version_seq;\n"
)


class Migration(migrations.Migration):
    dependencies = [("codes", "0004_search")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
