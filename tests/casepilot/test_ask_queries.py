"""Queries of one question asked without JavaScript, pinned for a signed-in member and a guest.

The viewer is described once per question and passed down: the charge, the reading rights and
the allowance shown with the answer all use it, and the charge returns where the asker stands,
so the quota row is not read again. The rate limit's counter lives in the shared cache (Redis in
production); a local-memory cache keeps it out of these counts.
"""

import pytest
from django.test import Client

from metering.models import Plan
from metering.plans import plan_book, plans_forget, today_utc
from metering.viewers import network_key

pytestmark = pytest.mark.django_db

QUESTION = {"question": "Is 0439T an add-on code?", "code": "cpt/0439T"}


@pytest.fixture
def warm(settings):
    """What each process reads once (today's fingerprint key, the plans), and a cache that is
    not the database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    network_key(today_utc())
    plan_book(fresh=True)


def test_a_members_question(client, verified_user, django_assert_num_queries, warm):
    client.force_login(verified_user)
    # The code the question is asked from (the form); the session with its user; the charge
    # (one statement, returning what is used); the codes the question names; their
    # replacements; the codes the member opened this period; the codes with their set,
    # section and replacement; their primary codes; their add-on codes; the codes they
    # replace; their section titles; the codes the passages name (composing); the codes the
    # answer names (finishing); then storing: savepoint, question, sources, release.
    with django_assert_num_queries(17):
        response = client.post("/casepilot/", QUESTION)

    html = response.content.decode()
    assert response.status_code == 200
    assert "add-on code" in html
    assert "9 CasePilot questions left this month" in html


def test_a_guests_question(django_assert_num_queries, warm):
    Plan.objects.filter(slug=Plan.GUEST).update(casepilot_questions_per_period=2)
    plans_forget()
    plan_book(fresh=True)
    client = Client()
    # The code the question is asked from (the form); no session: the guest's id is a signed
    # cookie; the charge, in one transaction: savepoint, the guest's own count, its network's
    # daily count, release; the codes the question names; their replacements; the codes the
    # guest opened this period; the codes with their set, section and replacement; their
    # primary codes; their add-on codes; the codes they replace; their section titles; the
    # codes the passages name (composing); the codes the answer names (finishing); then
    # storing: savepoint, question, sources, release.
    with django_assert_num_queries(19):
        response = client.post("/casepilot/", QUESTION)

    html = response.content.decode()
    assert response.status_code == 200
    assert "add-on code" in html
    assert "1 CasePilot question left this month" in html
