"""The consultants' desk: the queue, its filters, overdue marking, claiming and assigning."""

import datetime

import pytest
import time_machine

from caseconsultant import services
from caseconsultant.models import Question
from codes.models import Code
from tests.caseconsultant.conftest import TUESDAY, ask, make_consultant, make_member

pytestmark = pytest.mark.django_db

THURSDAY_AFTER_DUE = TUESDAY + datetime.timedelta(days=2, minutes=1)


@pytest.fixture
def queue(consultant):
    """Three members' questions: an overdue one about a CPT code, a fresh one about an ICD-10-CM
    code claimed by `consultant`, an answered one."""
    members = [make_member(f"member{n}@example.com") for n in range(3)]
    overdue = ask(members[0], subject="Overdue CPT question", now=TUESDAY)
    fresh = ask(
        members[1],
        subject="Fresh ICD question",
        codes=[Code.objects.get(identifier="E11.9")],
        now=TUESDAY + datetime.timedelta(days=2),
    )
    services.question_claim(question=fresh, consultant=consultant)
    answered = ask(members[2], subject="Answered question", now=TUESDAY)
    services.question_reply(question=answered, consultant=consultant, body="Done.")
    return {"overdue": overdue, "fresh": fresh, "answered": answered}


def subjects(response) -> list[str]:
    return [q.subject for q in response.context["page"].object_list]


@time_machine.travel(THURSDAY_AFTER_DUE, tick=False)
def test_the_queue_shows_waiting_questions_oldest_due_first_overdue_marked(
    client, queue, consultant
):
    client.force_login(consultant)

    response = client.get("/caseconsultant/desk/")

    assert subjects(response) == ["Overdue CPT question", "Fresh ICD question"]
    html = response.content.decode()
    overdue_item = html[html.index("Overdue CPT question") - 300 : html.index("Fresh ICD")]
    assert "queue-item-overdue" in overdue_item and ">Overdue</span>" in overdue_item
    assert html.count(">Overdue</span>") == 1
    everything = client.get("/caseconsultant/desk/?status=all").content.decode()
    assert everything.count(">Overdue</span>") == 1  # the answered one is not late


@time_machine.travel(THURSDAY_AFTER_DUE, tick=False)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=answered", ["Answered question"]),
        ("status=all", ["Overdue CPT question", "Answered question", "Fresh ICD question"]),
        ("assignee=me", ["Fresh ICD question"]),
        ("assignee=nobody", ["Overdue CPT question"]),
        ("due=overdue", ["Overdue CPT question"]),
        ("due=today", ["Overdue CPT question"]),
        ("due=week", ["Overdue CPT question", "Fresh ICD question"]),
        ("code_set=icd10cm", ["Fresh ICD question"]),
        ("code_set=cpt&status=all", ["Overdue CPT question", "Answered question"]),
    ],
)
def test_filters(client, queue, consultant, query, expected):
    client.force_login(consultant)

    assert subjects(client.get(f"/caseconsultant/desk/?{query}")) == expected


def test_the_assignee_filter_takes_a_colleague(client, queue, consultant):
    colleague = make_consultant("colleague@codeahead.example")
    services.question_assign(question=queue["overdue"], assignee=colleague)
    client.force_login(consultant)

    response = client.get(f"/caseconsultant/desk/?assignee={colleague.pk}")

    assert subjects(response) == ["Overdue CPT question"]


def test_bad_filters_are_a_form_error_not_a_crash(client, queue, consultant):
    client.force_login(consultant)

    response = client.get("/caseconsultant/desk/?status=nope&assignee=999999&code_set=zz")

    assert response.status_code == 400
    assert "Some filters were not understood" in response.content.decode()
    assert len(subjects(response)) == 2  # the default queue


def test_claiming_is_first_come(client, queue, consultant):
    colleague = make_consultant("colleague@codeahead.example")
    overdue = queue["overdue"]

    assert services.question_claim(question=overdue, consultant=colleague) is True
    client.force_login(consultant)
    response = client.post(overdue.get_absolute_url() + "claim/", {"next": "desk"}, follow=True)

    assert Question.objects.get(pk=overdue.pk).assignee_id == colleague.pk
    assert "was already claimed" in response.content.decode()


def test_assigning_to_someone_not_a_consultant_is_refused(client, queue, consultant, asker):
    client.force_login(consultant)
    overdue = queue["overdue"]

    client.post(overdue.get_absolute_url() + "assign/", {"assignee": asker.pk})
    unchanged = Question.objects.get(pk=overdue.pk).assignee_id
    client.post(overdue.get_absolute_url() + "assign/", {"assignee": consultant.pk})

    assert unchanged is None
    assert Question.objects.get(pk=overdue.pk).assignee_id == consultant.pk


def test_the_desk_queries(client, queue, consultant, django_assert_num_queries):
    client.force_login(consultant)
    # 1 session; 2-3 permissions; 4 consultants (assignee filter); 5 code sets (filter);
    # 6 count; 7 the page of questions with askers and assignees; 8 their codes
    with django_assert_num_queries(8):
        client.get("/caseconsultant/desk/?status=all")
