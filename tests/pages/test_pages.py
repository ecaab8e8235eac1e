import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_code_sets_with_counts_and_popular_codes(client, django_assert_num_queries):
    # 1 code sets with their counts; 2 popular codes with their sets.
    with django_assert_num_queries(2):
        response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.find(">CPT®<") < html.find(">HCPCS Level II<") < html.find(">ICD-10-CM<")
    assert 'href="/codes/cpt/99213/"' in html
    assert 'href="/codes/cpt/0439T/"' in html


def test_every_page_has_header_navigation_search_and_footer(client):
    html = client.get("/").content.decode()

    for text in (
        'role="search"',
        'href="/casepilot/"',
        'href="/caseconsultant/"',
        'href="/careers/"',
        'href="/codes/"',
        "Log in",
        "Register<span",
        "CPT® is a registered trademark of the American Medical Association",
        "<main",
        "<footer",
    ):
        assert text in html


@pytest.mark.parametrize("path", ["/casepilot/", "/caseconsultant/", "/careers/"])
def test_products_not_built_yet_say_so_plainly(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert b"is not available yet" in response.content


def test_search_with_an_exact_code_goes_to_its_page(client):
    response = client.get("/search/", {"q": " e119 "})

    assert response.status_code == 302
    assert response["Location"] == "/codes/icd10cm/E11.9/"


def test_search_by_prefix_lists_codes_in_order(client):
    html = client.get("/search/", {"q": "9921"}).content.decode()

    positions = [html.find(f'href="/codes/cpt/{c}/"') for c in ("99211", "99212", "99213")]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_search_by_words_lists_titles_only(client):
    html = client.get("/search/", {"q": "transthoracic"}).content.decode()

    assert 'href="/codes/cpt/93306/"' in html
    assert "Official Description" not in html


@pytest.mark.parametrize("query", ["", "x" * 1000, "abc\x00def", "💉🩺", "%", "' OR 1=1 --"])
def test_search_answers_odd_input_cleanly(client, query):
    response = client.get("/search/", {"q": query})

    assert response.status_code == 200


def test_browse_pages_list_sets_sections_and_codes(client):
    assert b"CPT\xc2\xae" in client.get("/codes/").content
    assert b"Evaluation and Management Services" in client.get("/codes/cpt/").content
    section = client.get("/codes/cpt/sections/cpt-office-visits/").content.decode()
    assert 'href="/codes/cpt/99213/"' in section
    assert client.get("/codes/CPT/").status_code == 301
    assert client.get("/codes/cpt/sections/nope/").status_code == 404
