"""The meter's decision and charge as one database function, and a version of the plan rows that
every write to them bumps (so each process knows when to read them again)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"

PLANS_VERSION = """
-- A sequence, so that a version is never handed out twice, even by a transaction rolled back;
-- the row, so that readers see a new version only once its writer committed.
CREATE SEQUENCE metering_plans_version_seq;
CREATE TABLE metering_plans_version (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO metering_plans_version (value) VALUES (nextval('metering_plans_version_seq'));
CREATE FUNCTION metering_bump_plans_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metering_plans_version (id, value) VALUES (1, nextval('metering_plans_version_seq'))
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END
$$;
CREATE TRIGGER metering_plan_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON metering_plan FOR EACH STATEMENT EXECUTE FUNCTION metering_bump_plans_version();
"""

DROP = """
DROP FUNCTION IF EXISTS metering_open(bigint, text[], text[], date[], text[], integer[], boolean, timestamptz);
DROP FUNCTION IF EXISTS metering_views_left(integer[], integer[]);
DROP TRIGGER IF EXISTS metering_plan_changed ON metering_plan;
DROP FUNCTION IF EXISTS metering_bump_plans_version();
DROP TABLE IF EXISTS metering_plans_version;
DROP SEQUENCE IF EXISTS metering_plans_version_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("metering", "0003_plan_table_and_retired_keys")]

    operations = [
        migrations.RunSQL(
            PLANS_VERSION + (SQL / "metering_open.sql").read_text(encoding="utf-8"), DROP
        ),
    ]
