"""The thread: answers, internal notes, follow-ups that reopen, rating, closing, and the mail of
each step."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.tasks import TaskContext
from django_tasks_db.models import DBTaskResult

from caseconsultant import services
from caseconsultant.models import Message, Question
from common.tasks import RetryScheduled
from tests.caseconsultant.conftest import TUESDAY
from tests.conftest import html_of

pytestmark = pytest.mark.django_db

NOTE = "Internal: the asker's clinic was audited last year, check their history."


@pytest.fixture
def answered(question, consultant):
    services.question_reply(question=question, consultant=consultant, body=NOTE, internal=True)
    services.question_reply(
        question=question, consultant=consultant, body="Yes: **modifier 25** on 99213."
    )
    question.refresh_from_db()
    return question


def test_internal_notes_never_reach_the_askers_page_or_mail(client, answered, asker, consultant):
    client.force_login(asker)
    asker_page = client.get(answered.get_absolute_url()).content.decode()
    client.force_login(consultant)
    consultant_page = client.get(answered.get_absolute_url()).content.decode()

    assert "modifier 25</strong> on 99213" in asker_page
    assert "audited" not in asker_page and "Internal note" not in asker_page
    assert "audited" in consultant_page and "Consultants only" in consultant_page
    to_asker = [m for m in mail.outbox if m.to == [asker.email]]
    assert [m.subject.split("] ")[1].split(":")[0] for m in to_asker] == [
        "We received your question", "Answer to your question",
    ]  # fmt: skip
    for message in mail.outbox:
        assert "audited" not in message.body
        assert "audited" not in html_of(message)


def test_a_note_sends_no_mail_and_leaves_the_status(question, consultant):
    mail.outbox.clear()

    services.question_reply(question=question, consultant=consultant, body=NOTE, internal=True)

    question.refresh_from_db()
    assert mail.outbox == []
    assert (question.status, question.assignee_id) == ("open", None)


def test_a_note_task_for_a_note_sends_nothing_even_if_enqueued(question, consultant, asker):
    from caseconsultant.tasks import send_thread_mail

    note = services.question_reply(
        question=question, consultant=consultant, body=NOTE, internal=True
    )
    mail.outbox.clear()

    send_thread_mail.enqueue(
        question_id=question.pk, message_id=note.pk, recipient_id=asker.pk, event="answered"
    )

    assert mail.outbox == []


def test_answering_claims_marks_answered_and_mails_the_asker(client, question, consultant, asker):
    mail.outbox.clear()
    client.force_login(consultant)

    response = client.post(
        question.get_absolute_url() + "reply/",
        {"body": "Use **25**.<script>alert(1)</script>", "kind": "reply"},
    )

    question.refresh_from_db()
    reply = question.messages.get(kind="reply")
    assert response.status_code == 302
    assert (question.status, question.assignee_id) == ("answered", consultant.pk)
    assert reply.body_html == "<p>Use <strong>25</strong>.</p>"
    [answer] = mail.outbox
    assert answer.to == [asker.email]
    assert "Use **25**." in answer.body and "<strong>25</strong>" in html_of(answer)
    assert "<script>" not in html_of(answer)


def test_a_follow_up_reopens_a_closed_question_due_two_business_days_later(
    client, answered, asker, consultant
):
    services.question_close(question=answered)
    friday = datetime.datetime(2026, 3, 6, 16, 0, tzinfo=datetime.UTC)
    client.force_login(asker)
    mail.outbox.clear()

    with time_machine.travel(friday, tick=False):
        response = client.post(answered.get_absolute_url() + "follow-up/", {"body": "And 99214?"})

    answered.refresh_from_db()
    assert response.status_code == 302
    assert (answered.status, answered.closed_at) == ("open", None)
    assert answered.due_at == datetime.datetime(2026, 3, 10, 16, 0, tzinfo=datetime.UTC)
    [to_consultant] = mail.outbox  # the assignee, who answered
    assert to_consultant.to == [consultant.email]
    assert "And 99214?" in to_consultant.body


def test_closing_mails_the_asker(client, answered, consultant, asker):
    client.force_login(consultant)
    mail.outbox.clear()

    client.post(answered.get_absolute_url() + "close/")

    answered.refresh_from_db()
    assert answered.status == "closed" and answered.closed_at is not None
    [closed] = mail.outbox
    assert closed.to == [asker.email] and "is closed" in closed.body


def test_the_asker_rates_the_answer(client, answered, asker):
    client.force_login(asker)

    assert client.post(answered.get_absolute_url() + "rate/", {"rating": "4"}).status_code == 302
    assert client.post(answered.get_absolute_url() + "rate/", {"rating": "9"}).status_code == 400
    assert Question.objects.get().rating == 4


def test_there_is_nothing_to_rate_before_an_answer(client, question, asker):
    client.force_login(asker)

    response = client.post(question.get_absolute_url() + "rate/", {"rating": "5"})

    assert response.status_code == 400
    assert Question.objects.get().rating is None


def test_follow_ups_with_identifiers_are_refused(client, answered, asker):
    client.force_login(asker)

    response = client.post(
        answered.get_absolute_url() + "follow-up/", {"body": "Her email is jo@example.com"}
    )

    assert response.status_code == 400
    assert "patient identifiers" in response.content.decode()
    assert not Message.objects.filter(kind="follow_up").exists()


def test_mail_carries_a_signed_reply_address_per_recipient(settings, asker, consultant):
    settings.INBOUND_REPLY_DOMAIN = "reply.codeahead.example"
    from tests.caseconsultant.conftest import ask

    question = ask(asker)

    reply_tos = {m.to[0]: m.reply_to[0] for m in mail.outbox}
    assert reply_tos[asker.email].startswith(f"reply+{question.pk}.{asker.pk}.")
    assert reply_tos[consultant.email].startswith(f"reply+{question.pk}.{consultant.pk}.")
    assert all(a.endswith("@reply.codeahead.example") for a in reply_tos.values())
    assert "Reply above this line" in mail.outbox[0].body


def test_an_answer_stays_rateable_after_a_follow_up_reopens_the_question(client, answered, asker):
    services.question_follow_up(question=answered, asker=asker, body="And with a 59 as well?")
    client.force_login(asker)

    assert "Rate the answer" in client.get(answered.get_absolute_url()).content.decode()
    assert client.post(answered.get_absolute_url() + "rate/", {"rating": "5"}).status_code == 302
    assert Question.objects.get().rating == 5


def test_a_question_closed_without_an_answer_offers_nothing_to_rate(
    client, question, asker, consultant
):
    services.question_close(question=question)
    client.force_login(asker)

    assert "Rate the answer" not in client.get(question.get_absolute_url()).content.decode()
    assert client.post(question.get_absolute_url() + "rate/", {"rating": "5"}).status_code == 400
    assert Question.objects.get().rating is None


def test_the_thread_page_queries(client, answered, asker, consultant, django_assert_num_queries):
    client.force_login(asker)
    # 1 session with its user; 2 the question with asker and assignee; 3 its codes; 4 the
    # messages with their authors; 5-6 the asker's permissions (user, groups): is she a
    # consultant?
    with django_assert_num_queries(6):
        assert client.get(answered.get_absolute_url()).status_code == 200
    client.force_login(consultant)
    # 1 session; 2-3 permissions; 4 question; 5 codes; 6 messages; 7 consultants for the
    # assignment list
    with django_assert_num_queries(7):
        assert client.get(answered.get_absolute_url()).status_code == 200


def test_actions_read_only_the_question_they_change(
    client, answered, asker, consultant, django_assert_num_queries
):
    client.force_login(asker)
    # 1 session with its user; 2-3 permissions (user, groups); 4 the question alone, without
    # its codes or people; 5 is there an answer to rate? 6 the rating
    with django_assert_num_queries(6):
        assert (
            client.post(answered.get_absolute_url() + "rate/", {"rating": "4"}).status_code == 302
        )
    client.force_login(consultant)
    # 1 session; 2-3 permissions; 4 the question alone; 5 savepoint; 6 the closing update; 7-8
    # the closing mail, sent at once in tests (its question, the asker's address); 9 release
    with django_assert_num_queries(9):
        assert client.post(answered.get_absolute_url() + "close/").status_code == 302


@time_machine.travel(TUESDAY, tick=False)
def test_the_asker_sees_their_question_and_no_consultant_addresses(client, answered, asker):
    client.force_login(asker)

    html = client.get(answered.get_absolute_url()).content.decode()

    assert "CodeAhead consultant" in html and "consultant@codeahead.example" not in html
    assert "Add a follow-up" in html and "Rate the answer" in html
    assert "Answer or note" not in html


def test_a_retried_thread_mail_keeps_every_keyword_argument(settings, monkeypatch, answered, asker):
    from caseconsultant.tasks import send_thread_mail

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    settings.TASKS_RETRY_DELAYS = [30]
    reply = answered.messages.get(kind="reply")
    fields = {
        "question_id": answered.pk,
        "message_id": reply.pk,
        "recipient_id": asker.pk,
        "event": "answered",
    }
    row = DBTaskResult.objects.get(pk=send_thread_mail.enqueue(**fields).id)

    def refused(self, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(mail.EmailMessage, "send", refused)
    with pytest.raises(RetryScheduled):  # what the worker does with the row
        row.task.call(TaskContext(task_result=row.task_result), **row.args_kwargs["kwargs"])

    retry = DBTaskResult.objects.exclude(pk=row.pk).get()
    assert retry.task_path == "caseconsultant.tasks.send_thread_mail"
    assert retry.args_kwargs["kwargs"] == {**fields, "attempt": 2}
