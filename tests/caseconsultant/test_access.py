"""A thread opens only for its asker and consultants. Tracking numbers are sequential, so
guessable: everyone else, signed in or not, gets the same 404 as for a number that does not
exist, on every page and action of the thread."""

import pytest
from django.contrib.auth.models import Group, Permission

from caseconsultant.models import Message, Question
from tests.caseconsultant.conftest import make_member

pytestmark = pytest.mark.django_db

ACTIONS = ["follow-up/", "rate/", "reply/", "claim/", "assign/", "close/"]


def test_the_asker_and_consultants_open_the_thread(client, question, asker, consultant):
    client.force_login(asker)
    assert client.get(question.get_absolute_url()).status_code == 200
    client.force_login(consultant)
    assert client.get(question.get_absolute_url()).status_code == 200


def test_a_guest_gets_404(client, question):
    assert client.get(question.get_absolute_url()).status_code == 404


def test_another_member_gets_404_like_for_a_number_that_does_not_exist(client, question, stranger):
    client.force_login(stranger)
    guessed = question.tracking[:-1] + str(int(question.tracking[-1]) + 1)

    theirs = client.get(question.get_absolute_url())
    missing = client.get(f"/caseconsultant/{guessed}/")

    assert theirs.status_code == missing.status_code == 404
    assert question.subject.encode() not in theirs.content


def test_staff_and_editors_without_the_desk_permission_get_404(client, question):
    editor = make_member("editor@codeahead.example", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    assert client.get(question.get_absolute_url()).status_code == 404
    assert client.get("/caseconsultant/desk/").status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_no_action_of_the_thread_answers_a_stranger(client, question, stranger, action):
    client.force_login(stranger)

    response = client.post(question.get_absolute_url() + action, {"body": "Let me in", "rating": 5})

    assert response.status_code == 404
    assert Message.objects.count() == 1
    assert Question.objects.get().rating is None


@pytest.mark.parametrize("action", ["reply/", "claim/", "assign/", "close/", "publish/"])
def test_the_asker_cannot_use_the_consultants_actions(client, question, asker, action):
    client.force_login(asker)

    response = client.post(question.get_absolute_url() + action, {"body": "Answering myself"})

    assert response.status_code == 404
    question.refresh_from_db()
    assert (question.status, question.assignee_id) == ("open", None)


def test_the_desk_is_for_consultants(client, asker, consultant):
    assert client.get("/caseconsultant/desk/").status_code == 302  # to the login
    client.force_login(asker)
    assert client.get("/caseconsultant/desk/").status_code == 404
    client.force_login(consultant)
    assert client.get("/caseconsultant/desk/").status_code == 200


def test_the_consultants_group_holds_only_this_apps_permissions(db):
    permissions = Permission.objects.filter(group__name="Consultants")

    assert {p.content_type.app_label for p in permissions} == {"caseconsultant"}
    assert {"work_desk", "publish_question"} <= {p.codename for p in permissions}


def test_a_consultant_removed_from_the_group_loses_the_thread(client, question, consultant):
    consultant.groups.clear()
    client.force_login(consultant)

    assert client.get(question.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("action", ["follow-up/", "rate/"])
def test_a_consultant_cannot_act_in_the_askers_name(client, question, consultant, action):
    client.force_login(consultant)

    response = client.post(question.get_absolute_url() + action, {"body": "As if", "rating": 1})

    assert response.status_code == 404
    assert Message.objects.count() == 1
    assert Question.objects.get().rating is None
