"""Queries per code page, pinned for each kind of visit (and independent of the section count).

Shared by every visit: 1 the code with its set, section and replacement; the section's ancestors
(recursive); neighbouring codes. Unlocked pages add: primary/add-on links and content sections.
"""

import pytest
from django.test import Client

from codes.models import Code, ContentSection
from metering.meter import network_key, today_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def network_key_ready():
    # Created once a day per deployment, then cached by each process: not part of a page's cost.
    network_key(today_utc())


@pytest.fixture(params=[0, 30], ids=["7 sections", "37 sections"])
def extra_sections(request):
    code = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    for position in range(8, 8 + request.param):
        ContentSection.objects.create(code=code, position=position, title="More", body_markdown="x")


def test_guest_first_view(django_assert_num_queries, extra_sections):
    client = Client()
    # code; plans; meters (+ seen); savepoint; meter upsert; view insert; meter increment;
    # release; ancestors; neighbours; links; sections; the new session (key check, savepoint,
    # insert, release). Savepoints stand for BEGIN/COMMIT, which outside a test are not queries.
    with django_assert_num_queries(16):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_guest_revisit(django_assert_num_queries, extra_sections):
    client = Client()
    client.get("/codes/cpt/0439T/")
    # code; session; plans; meters (seen); ancestors; neighbours; links; sections
    with django_assert_num_queries(8):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_guest_locked_page(django_assert_num_queries, extra_sections):
    client = Client()
    client.get("/codes/cpt/93306/")
    # code; session; plans; meters (none left: no writes); ancestors; neighbours
    with django_assert_num_queries(6):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" not in response.content.decode()


def test_signed_in_first_view(client, verified_user, django_assert_num_queries, extra_sections):
    client.force_login(verified_user)
    # code; session; user with plan; verified email; meters; savepoint; upsert; insert;
    # increment; release; ancestors; neighbours; links; sections
    with django_assert_num_queries(14):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_signed_in_revisit(client, verified_user, django_assert_num_queries, extra_sections):
    client.force_login(verified_user)
    client.get("/codes/cpt/0439T/")
    # code; session; user with plan; verified email; meters (seen); ancestors; neighbours;
    # links; sections
    with django_assert_num_queries(9):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" in response.content.decode()


def test_signed_in_locked_page(client, verified_user, django_assert_num_queries, extra_sections):
    client.force_login(verified_user)
    for code in ["99202", "99203", "99204", "99205", "99211", "99212"]:
        client.get(f"/codes/cpt/{code}/")
    # code; session; user with plan; verified email; meters (none left); ancestors; neighbours
    with django_assert_num_queries(7):
        response = client.get("/codes/cpt/0439T/")
    assert "Official Description" not in response.content.decode()
