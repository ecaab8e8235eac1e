"""Publishing a thread as a premium "Consultant Q&A" section on the codes it concerns."""

import pytest

from codes.models import Code, ContentSection
from tests.caseconsultant.conftest import ask, make_member

pytestmark = pytest.mark.django_db

BODY = "**Question:** Does 99213 take modifier 25 with a minor procedure?\n\n**Answer:** Yes, when…"


@pytest.fixture
def two_code_question(asker, consultant):
    codes = list(Code.objects.filter(identifier__in=["99213", "E11.9"]))
    return ask(asker, codes=codes)


def test_the_draft_holds_the_question_and_answers_but_no_notes(
    client, two_code_question, consultant
):
    from caseconsultant import services

    services.question_reply(
        question=two_code_question, consultant=consultant, body="Secret note", internal=True
    )
    client.force_login(consultant)

    html = client.get(two_code_question.get_absolute_url() + "publish/").content.decode()

    assert "**Question:** A 67-year-old woman" in html
    assert "Secret note" not in html


def test_publishing_adds_a_premium_section_to_each_chosen_code(
    client, two_code_question, consultant
):
    client.force_login(consultant)
    code = Code.objects.get(identifier="99213")

    response = client.post(
        two_code_question.get_absolute_url() + "publish/",
        {"title": "Modifier 25 with a minor procedure", "body": BODY, "codes": [code.pk]},
    )

    assert response.status_code == 302
    section = ContentSection.objects.get(kind="consultant_qa")
    assert (section.code, section.access) == (code, "premium")
    assert section.title == "Modifier 25 with a minor procedure"
    assert "<strong>Answer:</strong>" in section.body_html
    assert list(two_code_question.published_sections.all()) == [section]
    assert section.position > 1


def test_identifiers_are_refused_on_publishing(client, two_code_question, consultant):
    client.force_login(consultant)

    response = client.post(
        two_code_question.get_absolute_url() + "publish/",
        {"title": "Case", "body": "Jane Doe 01/02/1950 had 99213", "codes": [
            Code.objects.get(identifier="99213").pk
        ]},
    )  # fmt: skip

    assert response.status_code == 400
    assert not ContentSection.objects.filter(kind="consultant_qa").exists()


def test_codes_outside_the_question_cannot_be_chosen(client, two_code_question, consultant):
    client.force_login(consultant)
    other = Code.objects.exclude(identifier__in=["99213", "E11.9"]).first()

    response = client.post(
        two_code_question.get_absolute_url() + "publish/",
        {"title": "Case", "body": BODY, "codes": [other.pk]},
    )

    assert response.status_code == 400
    assert not ContentSection.objects.filter(kind="consultant_qa").exists()


def test_a_consultant_without_the_publish_permission_gets_404(client, two_code_question):
    from django.contrib.auth.models import Permission

    desk_only = make_member("desk-only@codeahead.example")
    desk_only.user_permissions.add(Permission.objects.get(codename="work_desk"))
    client.force_login(desk_only)

    assert client.get(two_code_question.get_absolute_url()).status_code == 200
    assert client.get(two_code_question.get_absolute_url() + "publish/").status_code == 404
