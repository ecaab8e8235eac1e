"""The queue's health (/healthz/queue, manage.py queue_status) and recovering tasks whose
worker died (manage.py tasks_recover)."""

import datetime
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from common.queue import RETRIED, queue_status
from common.tasks import send_email

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}
MAIL: dict[str, Any] = {"subject": "Hello", "body": "Text", "to": ["pat@example.com"]}
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS
    settings.TASKS_QUEUE_MAX_AGE = 300
    settings.TASKS_STALE_AFTER = 900


def test_an_empty_queue_is_healthy(client, database_tasks):
    response = client.get("/healthz/queue")

    assert response.status_code == 200
    assert b"ready 0\noldest_ready_seconds 0\n" in response.content


def test_the_age_of_the_oldest_waiting_task_is_reported_and_alarms(client, database_tasks):
    with time_machine.travel(START, tick=False):
        send_email.enqueue(**MAIL)
    with time_machine.travel(START + datetime.timedelta(seconds=299), tick=False):
        fresh = client.get("/healthz/queue")
    with time_machine.travel(START + datetime.timedelta(seconds=301), tick=False):
        old = client.get("/healthz/queue")
        with pytest.raises(CommandError):
            call_command("queue_status")

    assert fresh.status_code == 200
    assert b"oldest_ready_seconds 299\n" in fresh.content
    assert old.status_code == 503
    assert b"status alarm" in old.content


def test_a_deferred_retry_is_not_late_before_its_time(database_tasks):
    with time_machine.travel(START, tick=False):
        send_email.using(run_after=START + datetime.timedelta(hours=1)).enqueue(**MAIL)
    with time_machine.travel(START + datetime.timedelta(minutes=59), tick=False):
        waiting = queue_status()
    with time_machine.travel(START + datetime.timedelta(minutes=62), tick=False):
        due = queue_status()

    assert (waiting.ready, waiting.deferred, waiting.oldest_ready_seconds) == (0, 1, 0)
    assert (due.ready, due.deferred, due.oldest_ready_seconds) == (1, 0, 120)


def test_retried_tries_are_not_counted_as_giving_up(database_tasks):
    now = timezone.now()
    for path in (RETRIED, "builtins.ConnectionRefusedError"):
        row = DBTaskResult.objects.get(pk=send_email.enqueue(**MAIL).id)
        DBTaskResult.objects.filter(pk=row.pk).update(
            status="FAILED", finished_at=now, exception_class_path=path
        )

    assert queue_status().gave_up_last_day == 1


def test_a_task_left_running_by_a_dead_worker_is_enqueued_again(database_tasks, capsys):
    with time_machine.travel(START, tick=False):
        row = DBTaskResult.objects.get(pk=send_email.enqueue(**MAIL).id)
        row.claim("worker-killed-by-oom")
    with time_machine.travel(START + datetime.timedelta(minutes=14), tick=False):
        call_command("tasks_recover")
        early = DBTaskResult.objects.count()
    with time_machine.travel(START + datetime.timedelta(minutes=16), tick=False):
        assert queue_status().stale == 1
        call_command("tasks_recover")

    row.refresh_from_db()
    again = DBTaskResult.objects.exclude(pk=row.pk).get()
    assert early == 1
    assert row.status == "FAILED" and row.exception_class_path == "common.queue.WorkerLost"
    assert again.status == "READY" and again.args_kwargs == row.args_kwargs
    assert "1 task(s) recovered" in capsys.readouterr().out
