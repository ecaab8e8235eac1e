"""allauth's mail goes through the task queue: rendered in the request, sent by a worker."""

import pytest
from django.core import mail
from django.tasks import TaskContext
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}


def test_password_reset_mail_is_enqueued_not_sent_in_the_request(client, settings, verified_user):
    settings.TASKS = DATABASE_TASKS

    response = client.post("/accounts/password/reset/", {"email": verified_user.email})

    assert response.status_code == 302
    assert mail.outbox == []
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "common.tasks.send_email"
    assert row.queue_name == "email"
    assert row.args_kwargs["kwargs"]["to"] == [verified_user.email]
    assert "/accounts/password/reset/key/" in row.args_kwargs["kwargs"]["body"]


def test_the_worker_sends_what_the_request_rendered(client, settings, verified_user):
    settings.TASKS = DATABASE_TASKS
    client.post("/accounts/password/reset/", {"email": verified_user.email})
    row = DBTaskResult.objects.get()

    row.task.call(
        TaskContext(task_result=row.task_result),
        *row.args_kwargs["args"],
        **row.args_kwargs["kwargs"],
    )

    [sent] = mail.outbox
    assert sent.subject == "CodeAhead: Password Reset Email"
    assert sent.to == [verified_user.email]
