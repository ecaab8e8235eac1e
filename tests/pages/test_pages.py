import pytest

from metering.plans import plans_forget

pytestmark = pytest.mark.django_db


def test_home_lists_code_sets_with_counts_and_popular_codes(client, django_assert_num_queries):
    # 1 code sets with their counts; 2 popular codes with their sets; 3 plan allowances.
    with django_assert_num_queries(3):
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


def test_browse_pages_list_sets_sections_and_codes(client):
    assert b"CPT\xc2\xae" in client.get("/codes/").content
    assert b"Evaluation and Management Services" in client.get("/codes/cpt/").content
    section = client.get("/codes/cpt/sections/cpt-office-visits/").content.decode()
    assert 'href="/codes/cpt/99213/"' in section
    assert client.get("/codes/CPT/").status_code == 301
    assert client.get("/codes/cpt/sections/nope/").status_code == 404


def test_robots_txt_lets_crawlers_read_code_pages_only_as_guests_do(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")

    assert response["Content-Type"] == "text/plain"
    assert "Disallow: /accounts/" in response.content.decode()
    assert "Disallow: /codes/" not in response.content.decode()
    assert "Disallow: /careers/\n" not in response.content.decode()


@pytest.fixture
def plans_read_again():
    """The process's copy of the plans is dropped afterwards: the rows this test changes roll
    back, and later tests must not read them."""
    yield
    plans_forget()


def test_sales_copy_follows_the_plan_allowances(client, plans_read_again):
    from metering.models import Plan

    assert "Guests can open 1 code page a month" in client.get("/").content.decode()
    Plan.objects.filter(slug=Plan.FREE).update(views_per_period=10)

    home = client.get("/").content.decode()
    signup = client.get("/accounts/signup/").content.decode()

    assert "adds 9 more views a month" in home
    assert "9 more code page views every month" in signup
