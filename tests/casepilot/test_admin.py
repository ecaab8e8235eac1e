"""Editors see CasePilot's questions, answers, sources and votes, filtered by code and vote."""

import pytest

from casepilot.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(client, verified_user):
    client.force_login(verified_user)
    client.post("/casepilot/", {"question": "What replaced 0501T?"})
    client.post("/casepilot/", {"question": "Can modifier 25 go on 99213?"})
    Question.objects.filter(question__contains="0501T").update(vote="not_helpful")
    return Question.objects.get(question__contains="0501T")


def test_the_admin_lists_filters_and_shows_sources(admin_client, answered):
    listing = admin_client.get("/admin/casepilot/question/")
    not_helpful = admin_client.get("/admin/casepilot/question/", {"vote": "not_helpful"})
    by_code = admin_client.get(
        "/admin/casepilot/question/",
        {"sources__code__id__exact": str(answered.sources.get(number=1).code_id)},
    )
    searched = admin_client.get("/admin/casepilot/question/", {"q": "modifier"})
    detail = admin_client.get(f"/admin/casepilot/question/{answered.pk}/change/")

    assert listing.status_code == 200
    assert "What replaced 0501T?" in listing.content.decode()
    assert "modifier 25" not in not_helpful.content.decode()
    assert "What replaced 0501T?" in by_code.content.decode()
    # The other question cites another code: the filter leaves it out.
    assert "modifier 25" not in by_code.content.decode().split('id="result_list"')[1]
    assert "0501T" not in searched.content.decode().split('id="result_list"')[1]
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "CPT® 0501T" in page  # the numbered sources, inline
    assert admin_client.get("/admin/casepilot/question/add/").status_code == 403
