"""A code page keeps what does not depend on the viewer, and never serves it stale.

Every path that writes the catalogue must make the next page show the new text: an admin edit,
an edit of a neighbour's title, a revert from the history, an import, plain SQL.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from codes.models import CATALOGUE_VERSION_SQL, Code, ContentSection, SearchSynonym
from codes.pages import page_parts
from tests.codes.test_admin import change_form_data, rendered_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def page(reader, identifier="0439T") -> str:
    return reader.get(f"/codes/cpt/{identifier}/").content.decode()


def version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CATALOGUE_VERSION_SQL}")
        row = cursor.fetchone()
        assert row is not None
        return int(row[0])


def test_the_parts_are_built_once_per_version(reader, django_assert_num_queries):
    page_parts.clear()
    page(reader)
    # session with user; code; meter: the parts come from this process's memory
    with django_assert_num_queries(3):
        page(reader)


def test_an_admin_edit_of_a_section_shows_at_once(reader, editor):
    assert "Original guidance" not in page(reader)  # kept in memory from here on
    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    data = change_form_data(code)
    data["content_sections-0-body_markdown"] = "Edited **guidance** for coders."

    assert editor.post(f"/admin/codes/code/{code.pk}/change/", data).status_code == 302

    assert "Edited <strong>guidance</strong> for coders." in page(reader)


def test_a_neighbours_new_title_shows_on_the_page_next_to_it(reader):
    assert "Office visit, renamed" not in page(reader, "99213")
    Code.objects.filter(code_set__slug="cpt", identifier="99214").update(
        title="Office visit, renamed"
    )

    assert "Office visit, renamed" in page(reader, "99213")


def test_a_revert_from_the_history_shows_at_once(reader, editor):
    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    section = code.content_sections.get(position=1)
    original = section.body_html
    section.body_markdown = "Temporary wording."
    section.save()
    assert "Temporary wording." in page(reader)

    first = section.history.order_by("history_date").first()
    url = f"/admin/codes/contentsection/{section.pk}/history/{first.history_id}/"
    response = editor.post(url, rendered_form_data(editor.get(url)))

    assert response.status_code == 302
    html = page(reader)
    assert "Temporary wording." not in html
    assert original in html


def test_an_import_shows_at_once(reader, tmp_path):
    assert "Imported title of 99214" not in page(reader, "99213")  # its neighbours are kept
    path = tmp_path / "cpt.txt"
    path.write_text("99214\tImported title of 99214\n", encoding="utf-8")

    call_command("import_codes", "cpt", str(path), stdout=io.StringIO())

    assert "Imported title of 99214" in page(reader, "99213")


def test_plain_sql_shows_at_once(reader):
    page(reader)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE codes_contentsection SET body_html = '<p>Written by SQL.</p>' "
            "WHERE position = 1 "
            "AND code_id = (SELECT id FROM codes_code WHERE identifier = '0439T')"
        )

    assert "Written by SQL." in page(reader)


def test_a_version_is_never_handed_out_twice(reader):
    """A rolled-back write's version is not reused: the parts kept under it never come back."""
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        ContentSection.objects.filter(position=1).update(title="Rolled back")
        inside = version()
        assert "Rolled back" in page(reader)  # kept under the uncommitted version
        raise RuntimeError

    ContentSection.objects.filter(position=2).update(title="Kept")

    assert version() not in {before, inside}
    html = page(reader)
    assert "Rolled back" not in html
    assert "Kept" in html


def vector_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM codes_vector_version")
        row = cursor.fetchone()
        assert row is not None
        return int(row[0])


def test_a_synonym_or_vector_write_keeps_the_pages_a_code_edit_does_not(
    reader, django_assert_num_queries
):
    """No code page shows synonyms or vectors: writing them must not empty every page's cache."""
    page_parts.clear()
    page(reader)
    before, vectors_before = version(), vector_version()

    synonym = SearchSynonym.objects.create(term="brand new word", alternatives="office visit")
    synonym.alternatives = "visit"
    synonym.save()
    with connection.cursor() as cursor:  # a statement on the embeddings, rows or not
        cursor.execute("DELETE FROM codes_codeembedding WHERE false")

    assert version() == before
    assert vector_version() != vectors_before  # search's copy of the vectors follows
    # session with user; code; meter: the parts are still the ones kept in memory
    with django_assert_num_queries(3):
        page(reader)

    Code.objects.filter(code_set__slug="cpt", identifier="0439T").update(title="Renamed 0439T")

    assert version() != before
    assert "Renamed 0439T" in page(reader)
