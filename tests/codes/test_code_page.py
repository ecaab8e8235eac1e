import datetime

import pytest
from django.urls import reverse

from codes.models import Code, ContentSection

pytestmark = pytest.mark.django_db

DEFAULT_TITLES = [ContentSection.Kind(kind).label for kind in ContentSection.DEFAULT_KINDS]


def test_code_page_shows_every_part_in_order(reader, time_machine):
    # Our notice carries the current year; the AMA's carries the data release's.
    time_machine.move_to(datetime.datetime(2027, 3, 2, 10, 0, tzinfo=datetime.UTC))
    response = reader.get("/codes/cpt/0439T/")

    assert response.status_code == 200
    html = response.content.decode()
    parts = [
        '<h1 id="code-heading">CPT® Code 0439T</h1>',
        "Add-on code</li>",
        "Official Description",
        "© Copyright 2026 American Medical Association. All rights reserved.",
        "Common Language Description",
        "© Copyright 2027 CodeAhead. All rights reserved.",
        "Have a question about CPT® Code 0439T?",
        *DEFAULT_TITLES,
        "Primary codes for this add-on",
    ]
    positions = [html.find(part) for part in parts]
    assert -1 not in positions, [part for part in parts if part not in html]
    assert positions == sorted(positions)


def test_code_page_marks_demo_rows_as_sample_content(reader):
    html = reader.get("/codes/cpt/0439T/").content.decode()

    assert "Sample content" in html
    assert "it is not the American Medical Association's descriptor" in html


def test_add_on_page_links_its_primary_codes_and_they_link_back(reader):
    add_on = reader.get("/codes/cpt/0439T/").content.decode()
    primary = reader.get("/codes/cpt/93306/").content.decode()

    for identifier in ("93306", "93307", "93308", "93350", "93351"):
        assert f'href="/codes/cpt/{identifier}/"' in add_on
    assert "Add-on codes reported with it" in primary
    assert 'href="/codes/cpt/0439T/"' in primary


def test_code_page_links_neighbours_in_its_section(reader):
    html = reader.get("/codes/cpt/99213/").content.decode()

    assert "Nearby in Office or Other Outpatient Services" in html
    for identifier in ("99211", "99212", "99214", "99215"):
        assert f'href="/codes/cpt/{identifier}/"' in html


def test_breadcrumb_walks_the_section_tree(reader):
    html = reader.get("/codes/cpt/93306/").content.decode()
    crumbs = ["Codes", "CPT®", "Medicine", "Cardiovascular", "Echocardiography"]

    breadcrumb = html[
        html.find('aria-label="Breadcrumb"') : html.find("</nav>", html.find("Breadcrumb"))
    ]
    positions = [breadcrumb.find(f">{crumb}</a>") for crumb in crumbs]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_deleted_code_names_its_replacement(reader):
    html = reader.get("/codes/cpt/0501T/").content.decode()

    assert "badge-deleted" in html
    assert "This code was deleted after December 31, 2023." in html
    assert 'href="/codes/cpt/75580/"' in html


def test_public_domain_code_shows_its_own_notice_and_no_ama_notice(reader):
    html = reader.get("/codes/icd10cm/E11.9/").content.decode()

    assert "ICD-10-CM Code E11.9" in html
    assert "National Center for Health Statistics and is in the public domain" in html
    assert "American Medical Association. All rights reserved" not in html


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/codes/cpt/0439t/", "/codes/cpt/0439T/"),
        ("/codes/CPT/0439T/", "/codes/cpt/0439T/"),
        ("/codes/Cpt/0439t/", "/codes/cpt/0439T/"),
        ("/codes/cpt/%200439T%20/", "/codes/cpt/0439T/"),
        ("/codes/icd10cm/e119/", "/codes/icd10cm/E11.9/"),
        ("/codes/icd10cm/E119/", "/codes/icd10cm/E11.9/"),
        ("/codes/ICD10CM/e11.9/", "/codes/icd10cm/E11.9/"),
        ("/codes/hcpcs/g0439/", "/codes/hcpcs/G0439/"),
    ],
)
def test_other_spellings_redirect_permanently_to_the_canonical_url(client, path, target):
    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == target


@pytest.mark.parametrize(
    "path",
    [
        "/codes/cpt/00000/",  # well formed, not in the data
        "/codes/cpt/E11.9/",  # another set's code
        "/codes/nosuchset/0439T/",
        "/codes/cpt/0439TT/",
        "/codes/cpt/" + "9" * 5000 + "/",
        "/codes/cpt/%00/",
        "/codes/cpt/0439%00T/",
        "/codes/cpt/%FF%FE/",
        "/codes/cpt/%E2%80%8B0439T/",  # zero-width space
        "/codes/cpt/０４３９Ｔ/",  # full-width digits
        "/codes/cpt/..%2F..%2Fetc/",
        "/codes/cpt/'%20OR%201=1--/",
        "/codes/c%00pt/0439T/",
    ],
)
def test_unknown_or_malformed_identifiers_get_the_site_404_page(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content


def test_code_page_query_count_does_not_grow_with_sections(reader, django_assert_num_queries):
    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    for position in range(8, 40):
        ContentSection.objects.create(
            code=code, position=position, title=f"Extra {position}", body_markdown="More."
        )

    reader.get("/codes/cpt/0439T/")  # the first view is recorded; the count below is a revisit

    # Exactly as many as a revisit with seven sections (tests/metering/test_query_counts.py):
    # session with user; code; meter.
    with django_assert_num_queries(3):
        response = reader.get("/codes/cpt/0439T/")
    assert response.content.decode().count('class="card content-section"') == 39


def test_section_bodies_are_sanitized_html(reader, code_factory):
    code = code_factory(identifier="0990T")
    ContentSection.objects.create(
        code=code,
        position=1,
        title="Tips",
        body_markdown="**Bold** <script>alert(1)</script> [x](javascript:alert(1))\n\n# Big",
    )

    html = reader.get(reverse("codes:code", args=["cpt", "0990T"])).content.decode()

    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:" not in html
    assert "<h1>Big</h1>" not in html


def test_code_without_section_or_links_still_renders(reader, code_factory):
    code_factory(identifier="0991T")

    response = reader.get("/codes/cpt/0991T/")

    assert response.status_code == 200
    assert b"Codes to know with" not in response.content
