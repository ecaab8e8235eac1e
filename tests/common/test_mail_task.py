"""Sending mail from a worker, with retries (common.tasks)."""

import smtplib
from typing import Any

import pytest
from django.core import mail
from django.tasks import TaskContext, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from common.tasks import RetryScheduled, send_email
from tests.conftest import html_of

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}
MAIL: dict[str, Any] = {
    "subject": "Hello",
    "body": "Text",
    "html": "<p>Text</p>",
    "to": ["pat@example.com"],
}


@pytest.fixture
def smtp_fails(monkeypatch):
    """The mail server refuses the first `times` tries."""
    state: dict[str, Any] = {
        "times": 0,
        "tries": 0,
        "error": ConnectionRefusedError(111, "Connection refused"),
    }
    send = mail.EmailMessage.send

    def flaky(self, *args, **kwargs):
        state["tries"] += 1
        if state["tries"] <= state["times"]:
            raise state["error"]
        return send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    return state


def test_mail_is_sent_with_its_html_alternative():
    result = send_email.enqueue(**MAIL)

    assert result.status == TaskResultStatus.SUCCESSFUL
    [sent] = mail.outbox
    assert sent.subject == "Hello" and sent.to == ["pat@example.com"]
    assert html_of(sent) == "<p>Text</p>"


def test_a_passing_failure_is_retried_until_the_mail_goes(settings, smtp_fails):
    settings.TASKS_RETRY_DELAYS = [1, 1, 1]
    smtp_fails["times"] = 2

    send_email.enqueue(**MAIL)

    assert smtp_fails["tries"] == 3
    assert len(mail.outbox) == 1


def test_after_the_last_try_the_error_itself_fails_the_task(settings, smtp_fails):
    settings.TASKS_RETRY_DELAYS = [1, 1]
    smtp_fails["times"] = 99

    first = send_email.enqueue(**MAIL)

    assert smtp_fails["tries"] == 3  # the first try and one per delay
    assert first.status == TaskResultStatus.FAILED
    assert mail.outbox == []


def test_a_permanent_refusal_is_not_retried(settings, smtp_fails):
    settings.TASKS_RETRY_DELAYS = [1, 1]
    smtp_fails["times"] = 99
    smtp_fails["error"] = smtplib.SMTPRecipientsRefused({"pat@example.com": (550, b"no such user")})

    send_email.enqueue(**MAIL)

    assert smtp_fails["tries"] == 1


def test_with_the_database_backend_the_next_try_waits_for_its_delay(settings, smtp_fails):
    settings.TASKS = DATABASE_TASKS
    settings.TASKS_RETRY_DELAYS = [30, 120]
    smtp_fails["times"] = 1
    enqueued = send_email.enqueue(**MAIL)
    row = DBTaskResult.objects.get(pk=enqueued.id)

    with pytest.raises(RetryScheduled):
        # what the worker does with the row
        row.task.call(TaskContext(task_result=row.task_result), **row.args_kwargs["kwargs"])

    retry = DBTaskResult.objects.exclude(pk=enqueued.id).get()
    assert retry.queue_name == "email"
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert 25 < (retry.run_after - retry.enqueued_at).total_seconds() <= 31
    assert mail.outbox == []


def test_a_retry_keeps_every_keyword_argument_of_the_task(settings, smtp_fails):
    settings.TASKS = DATABASE_TASKS
    smtp_fails["times"] = 1
    fields = {
        **MAIL,
        "from_email": "desk@codeahead.example",
        "reply_to": ["reply@codeahead.example"],
        "headers": {"Auto-Submitted": "auto-generated"},
    }
    row = DBTaskResult.objects.get(pk=send_email.enqueue(**fields).id)

    with pytest.raises(RetryScheduled):
        row.task.call(TaskContext(task_result=row.task_result), **row.args_kwargs["kwargs"])

    retry = DBTaskResult.objects.exclude(pk=row.pk).get()
    assert retry.task_path == "common.tasks.send_email"
    assert retry.args_kwargs["kwargs"] == {**fields, "attempt": 2}
