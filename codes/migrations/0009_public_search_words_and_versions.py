"""The catalogue's new tables bump its version like the others (codes/migrations/0005), the
embeddings have a version of their own, and the spelling corrector's words come from public
text only.

- Every write to official data, synonyms or embeddings bumps the catalogue version, so a code page
  never shows official notes older than the last committed import.
- `codes_vector_version` changes only when embeddings do: app servers rebuild their memory-mapped
  copy of the vectors (codes/vectors.py) on that, not on every editor's edit of a section. Its
  `instance` tells databases apart, so a copy made from one is never served for another.
- `codes_searchword`, the words misspellings are corrected to, is rebuilt from what a locked page
  shows (titles and official terms), no longer from the gated plain-language descriptions: the
  corrector must not suggest a word only a gated description uses.
"""

from django.db import migrations

NEW_TABLES = [
    "codes_officialsource",
    "codes_tabularnote",
    "codes_drgfacts",
    "codes_pcsaxisvalue",
    "codes_codeembedding",
    "codes_searchsynonym",
]

TRIGGERS = "".join(
    f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION codes_bump_catalogue_version();\n"
    for table in NEW_TABLES
)
DROP_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS {table}_changed ON {table};\n" for table in NEW_TABLES
)

VECTOR_VERSION = """
CREATE TABLE codes_vector_version (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    instance uuid NOT NULL DEFAULT gen_random_uuid(),
    value bigint NOT NULL
);
INSERT INTO codes_vector_version (value) VALUES (nextval('codes_catalogue_version_seq'));
CREATE FUNCTION codes_bump_vector_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE codes_vector_version SET value = nextval('codes_catalogue_version_seq') WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER codes_codeembedding_vectors_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON codes_codeembedding
FOR EACH STATEMENT EXECUTE FUNCTION codes_bump_vector_version();
"""
DROP_VECTOR_VERSION = """
DROP TRIGGER IF EXISTS codes_codeembedding_vectors_changed ON codes_codeembedding;
DROP FUNCTION IF EXISTS codes_bump_vector_version();
DROP TABLE IF EXISTS codes_vector_version;
"""

PUBLIC_WORDS = """
DROP MATERIALIZED VIEW IF EXISTS codes_searchword;
CREATE MATERIALIZED VIEW codes_searchword AS
SELECT word, ndoc FROM ts_stat(
    $$SELECT to_tsvector('simple', codeahead_unaccent(
        title || ' ' || index_terms || ' ' || context_terms))
      FROM codes_code$$
);
CREATE UNIQUE INDEX codes_searchword_word ON codes_searchword (word);
CREATE INDEX codes_searchword_trgm ON codes_searchword USING gin (word gin_trgm_ops);
"""
GATED_WORDS = """
DROP MATERIALIZED VIEW IF EXISTS codes_searchword;
CREATE MATERIALIZED VIEW codes_searchword AS
SELECT word, ndoc FROM ts_stat(
    $$SELECT to_tsvector('simple', codeahead_unaccent(title || ' ' || plain_description))
      FROM codes_code$$
);
CREATE UNIQUE INDEX codes_searchword_word ON codes_searchword (word);
CREATE INDEX codes_searchword_trgm ON codes_searchword USING gin (word gin_trgm_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("codes", "0008_official_data_and_public_search")]

    operations = [
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(VECTOR_VERSION, DROP_VECTOR_VERSION),
        migrations.RunSQL(PUBLIC_WORDS, GATED_WORDS),
    ]
