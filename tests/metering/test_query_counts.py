"""Queries per code page, pinned for each kind of visit, whatever the number of sections.

A code page costs at most three round trips once its process has the page's shared parts and the
plans (both read once, then kept until a write changes them):
- for a signed-in member, the session, with its user, the user's plan and whether their address
  is verified (one query, accounts.sessions); a guest has no session: its id is a signed cookie;
- the code, with its set, section, replacement and the catalogue version;
- the meter: decision and charge in one statement (metering_open).
"""

import pytest
from django.test import Client

from codes.models import Code, ContentSection
from codes.pages import page_parts
from metering.plans import plan_book, today_utc
from metering.viewers import network_key

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[0, 30], ids=["7 sections", "37 sections"])
def code(request):
    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    for position in range(8, 8 + request.param):
        ContentSection.objects.create(code=code, position=position, title="More", body_markdown="x")
    return code


@pytest.fixture
def warm(code):
    """What each process reads once: today's fingerprint key, the plans, the page's parts."""
    network_key(today_utc())
    plan_book(fresh=True)
    warmed = Code.objects.for_code_page("cpt", "0439T")  # as the code page reads it
    assert warmed is not None and warmed.pk == code.pk
    page_parts.get(warmed)


def test_guest_first_view(django_assert_num_queries, warm):
    client = Client()
    # code; meter (decide and charge): the guest's id goes in a signed cookie, no session row
    with django_assert_num_queries(2):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()
    assert "Summary of the Procedure" in response.content.decode()


def test_guest_revisit(django_assert_num_queries, warm):
    client = Client()
    client.get("/codes/cpt/0439T/")
    # code; meter (seen: nothing written)
    with django_assert_num_queries(2):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_guest_locked_page(django_assert_num_queries, warm):
    client = Client()
    client.get("/codes/cpt/93306/")
    # code; meter (none left: nothing written)
    with django_assert_num_queries(2):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" not in response.content.decode()


def test_signed_in_first_view(client, verified_user, django_assert_num_queries, warm):
    client.force_login(verified_user)
    # session with its user; code; meter (decide and charge)
    with django_assert_num_queries(3):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_signed_in_revisit(client, verified_user, code, django_assert_num_queries, warm):
    client.force_login(verified_user)
    client.get("/codes/cpt/0439T/")
    # session with its user; code; meter (seen)
    with django_assert_num_queries(3):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()
    readable = code.content_sections.filter(access="registered").count()
    assert response.content.decode().count('class="prose gated"') == readable


def test_signed_in_locked_page(client, verified_user, django_assert_num_queries, warm):
    client.force_login(verified_user)
    for identifier in ["99202", "99203", "99204", "99205", "99211", "99212"]:
        client.get(f"/codes/cpt/{identifier}/")
    # session with its user; code; meter (none left)
    with django_assert_num_queries(3):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" not in response.content.decode()


def test_a_page_whose_parts_are_not_kept_yet_builds_them_once(
    client, code, django_assert_num_queries
):
    network_key(today_utc())
    plan_book(fresh=True)
    page_parts.clear()
    # code; meter; ancestors; primary/add-on links; neighbours; sections
    with django_assert_num_queries(6):
        client.get("/codes/cpt/0439T/")
    # the next viewer of the page: code; meter
    with django_assert_num_queries(2):
        Client().get("/codes/cpt/0439T/")


def test_plans_changed_by_an_editor_are_read_again_once(client, warm, django_assert_num_queries):
    from metering.models import Plan

    Plan.objects.filter(slug=Plan.GUEST).update(views_per_period=2)
    # code; meter (reports the plans' new version); the plans
    with django_assert_num_queries(3):
        client.get("/codes/cpt/0439T/")
    with django_assert_num_queries(2):
        Client().get("/codes/cpt/0439T/")


def test_an_icd10cm_page_with_official_data_costs_the_same(django_assert_num_queries):
    from codes.imports.icd10cm import import_icd10cm

    import_icd10cm(categories={"E11"})  # E11.9's notes, with its category's and chapter's
    network_key(today_utc())
    plan_book(fresh=True)
    page_parts.clear()
    # code; meter; ancestors; primary/add-on links; neighbours; sections; the tabular notes of
    # the code and the levels above it; its MS-DRG facts (a guest has no session row)
    with django_assert_num_queries(8):
        Client().get("/codes/icd10cm/E11.9/")
    # the next viewer: code; meter (decide and charge)
    with django_assert_num_queries(2):
        response = Client().get("/codes/icd10cm/E11.9/")
    html = response.content.decode()
    assert "Official ICD-10-CM instructions" in html
    assert "from category E11" in html
    assert "Questionable admission" in html
