"""The editorial admin: what editors can do, and what they cannot."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from codes.models import Code, ContentSection, SearchSynonym
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    """A client of its own, signed in as a staff member of the Editors group."""
    user = User.objects.create_user("editor@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    return client


def code(identifier="0439T"):
    return Code.objects.get(code_set__slug="cpt", identifier=identifier)


def test_editors_see_content_and_nothing_else(editor):
    index = editor.get("/admin/").content.decode()

    for model in ("codeset", "section", "code", "contentsection"):
        assert f"/admin/codes/{model}/" in index
    assert "/admin/accounts/" not in index
    assert editor.get("/admin/accounts/user/").status_code == 403
    assert editor.get("/admin/metering/plan/").status_code == 403
    assert editor.get("/admin/auth/group/").status_code == 403


def test_staff_outside_the_editors_group_see_no_content(client):
    staff = User.objects.create_user("staff@example.com", PASSWORD, is_staff=True)
    client.force_login(staff)

    assert client.get("/admin/codes/code/").status_code == 403


@pytest.mark.parametrize(
    ("term", "expected"), [("0439t", "0439T"), ("e119", "E11.9"), ("perfusion", "0439T")]
)
def test_search_by_identifier_in_any_spelling_or_by_words(editor, term, expected):
    html = editor.get("/admin/codes/code/", {"q": term}).content.decode()

    assert f">{expected}</a>" in html


def test_filters_by_code_set_chapter_and_status(editor):
    cpt = code().code_set
    medicine = cpt.sections.get(slug="cpt-medicine")

    html = editor.get(
        "/admin/codes/code/", {"code_set__id__exact": cpt.pk, "under": medicine.pk}
    ).content.decode()

    assert ">93306</a>" in html  # in Medicine > Cardiovascular > Echocardiography
    assert ">99213</a>" not in html
    deleted = editor.get("/admin/codes/code/", {"status__exact": "deleted"}).content.decode()
    assert ">0501T</a>" in deleted and ">0439T</a>" not in deleted


def test_changelist_queries_do_not_grow_with_the_rows_shown(editor, code_factory):
    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert (
                editor.get(
                    "/admin/codes/code/", {"code_set__id__exact": code().code_set_id}
                ).status_code
                == 200
            )
        return len(context.captured_queries)

    before = count()
    for number in range(30):
        code_factory(identifier=f"{9100 + number}T")
    assert count() == before


def test_change_page_edits_sections_inline_in_order(editor):
    html = editor.get(f"/admin/codes/code/{code().pk}/change/").content.decode()

    titles = ["Summary of the Procedure", "Clinical Responsibility", "Related and Similar Codes"]
    positions = [html.find(f'value="{title}"') for title in titles]
    assert -1 not in positions and positions == sorted(positions)
    assert 'href="/admin/r/' in html  # view on site
    assert "related-widget-wrapper" in html and "admin-autocomplete" in html


def test_autocomplete_finds_codes_for_primary_codes(editor):
    response = editor.get(
        "/admin/autocomplete/",
        {"term": "9330", "app_label": "codes", "model_name": "code", "field_name": "primary_codes"},
    )

    assert response.status_code == 200
    assert any("93306" in row["text"] for row in response.json()["results"])


def change_form_data(target: Code, **changes) -> dict:
    sections = list(target.content_sections.order_by("position"))
    data = {
        "code_set": target.code_set_id,
        "identifier": target.identifier,
        "section": target.section_id or "",
        "title": target.title,
        "status": target.status,
        "official_description": target.official_description,
        "plain_description": target.plain_description,
        "primary_codes": [c.pk for c in target.primary_codes.all()],
        "replaced_by": target.replaced_by_id or "",
        "effective_date": target.effective_date or "",
        "end_date": target.end_date or "",
        "popularity": target.popularity,
        "content_sections-TOTAL_FORMS": len(sections),
        "content_sections-INITIAL_FORMS": len(sections),
        "content_sections-MIN_NUM_FORMS": 0,
        "content_sections-MAX_NUM_FORMS": 1000,
    }
    if target.is_add_on:
        data["is_add_on"] = "on"
    if target.is_sample:
        data["is_sample"] = "on"
    for index, section in enumerate(sections):
        prefix = f"content_sections-{index}-"
        data |= {
            prefix + "id": section.pk,
            prefix + "code": target.pk,
            prefix + "position": section.position,
            prefix + "kind": section.kind,
            prefix + "access": section.access,
            prefix + "title": section.title,
            prefix + "body_markdown": section.body_markdown,
        }
    return data | changes


def rendered_form_data(response) -> dict:
    """What a browser would post back from an admin change form exactly as it was rendered:
    the main form's and every inline form's values, management forms included."""
    from django import forms

    data: dict = {}

    def add(form) -> None:
        for field in form:
            value = field.value()
            if isinstance(field.field, forms.BooleanField):
                if value:
                    data[field.html_name] = "on"
            elif value is None:
                data[field.html_name] = ""
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def test_an_edit_shows_on_the_page_at_once_and_can_be_restored(editor, reader):
    target = code()
    original = target.official_description
    url = f"/admin/codes/code/{target.pk}/change/"

    response = editor.post(url, change_form_data(target, official_description="Corrected wording."))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "Corrected wording." in reader.get("/codes/cpt/0439T/").content.decode()

    history = editor.get(f"/admin/codes/code/{target.pk}/history/").content.decode()
    assert "editor@example.com" in history
    assert "Official description" in history  # the list shows what changed
    first = target.history.order_by("history_date").first()
    revert_url = f"/admin/codes/code/{target.pk}/history/{first.history_id}/"
    # The editor presses "Revert" on the earlier version's page without typing anything: what
    # is restored is whatever that page put in its form.
    revert_page = editor.get(revert_url)
    assert revert_page.status_code == 200
    revert = editor.post(revert_url, rendered_form_data(revert_page))

    assert revert.status_code == 302, revert.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.official_description == original
    assert original in reader.get("/codes/cpt/0439T/").content.decode()
    assert "Corrected wording." not in reader.get("/codes/cpt/0439T/").content.decode()
    assert target.history.count() >= 3


def test_a_section_body_edit_is_rendered_safely_on_save(editor, reader):
    target = code()
    data = change_form_data(target)
    data["content_sections-0-body_markdown"] = "**Updated** guidance <script>x()</script>"

    assert editor.post(f"/admin/codes/code/{target.pk}/change/", data).status_code == 302

    section = ContentSection.objects.get(code=target, position=1)
    assert section.body_html == "<p><strong>Updated</strong> guidance </p>"
    assert "<strong>Updated</strong> guidance" in reader.get("/codes/cpt/0439T/").content.decode()
    assert section.history.count() >= 2


def test_editors_keep_the_synonym_table_and_search_follows_at_once(editor, client):
    assert "/admin/codes/searchsynonym/" in editor.get("/admin/").content.decode()
    assert ">I10<" not in client.get("/search/", {"q": "bp high"}).content.decode()

    response = editor.post(
        "/admin/codes/searchsynonym/add/",
        {"term": " BP  High ", "alternatives": "Hypertension |  essential  ", "kind": "lay"},
    )

    assert response.status_code == 302
    synonym = SearchSynonym.objects.get(term="bp high")
    assert synonym.alternatives == "hypertension | essential"
    assert synonym.history.count() == 1
    assert ">I10<" in client.get("/search/", {"q": "bp high"}).content.decode()


def test_an_edited_title_gets_its_new_vector_in_the_same_save(editor):
    from codes.embeddings import QueryEmbedder, from_bytes
    from codes.models import CodeEmbedding

    target = code("0439T")
    before = CodeEmbedding.objects.get(code=target)

    response = editor.post(
        f"/admin/codes/code/{target.pk}/change/",
        change_form_data(target, title="Myocardial perfusion with contrast ultrasound"),
    )

    assert response.status_code == 302
    after = CodeEmbedding.objects.get(code=target)
    assert after.digest != before.digest
    expected = QueryEmbedder()("Myocardial perfusion with contrast ultrasound")
    assert abs(from_bytes(after.vector).astype("float32") - expected).max() < 1e-3
