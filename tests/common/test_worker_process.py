"""End to end: a real `manage.py db_worker` process against PostgreSQL sends a question's mail
through a real SMTP server, and a mail server that is down delays the mail without losing it or
sending it twice."""

import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseconsultant.models import Question
from metering.plans import plans_forget
from tests.caseconsultant.conftest import ask, make_consultant, make_member
from tests.conftest import restore_plans
from tests.helpers import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}


class Sink:
    """What an SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def run_worker(port: int) -> subprocess.CompletedProcess[str]:
    """One worker process that works through what is ready, then exits."""
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "5",
        "TASKS_RETRY_DELAYS": "1,1,1",
    }
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
    return subprocess.run(
        [*command, "--queue-name", "default,email", "--no-reload"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_a_worker_process_delivers_the_mail_once_after_the_mail_server_comes_back(settings):
    settings.TASKS = DATABASE_TASKS
    call_command("load_demo", verbosity=0)
    restore_plans()
    plans_forget()
    asker = make_member("worker-asker@example.com")
    consultant = make_consultant("worker-consultant@codeahead.example")
    port = free_port()  # nothing listens there yet: the mail server is down

    question = ask(asker)
    assert Question.objects.count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 2  # stored, not sent

    down = run_worker(port)
    retried = DBTaskResult.objects.filter(status="FAILED")
    assert retried.count() == 2
    assert set(retried.values_list("exception_class_path", flat=True)) == {
        "common.tasks.RetryScheduled"
    }, down.stderr

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The retries wait a second: make them due now instead of sleeping through it.
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker(port)
    finally:
        controller.stop()

    by_recipient = {message["To"]: message for message in sink.messages}
    assert len(sink.messages) == 2
    assert set(by_recipient) == {asker.email, consultant.email}
    received = by_recipient[asker.email]
    assert received["Subject"].startswith(f"[{question.tracking}] We received your question")
    assert received.get_content_type() == "multipart/alternative"
    assert received["Message-ID"].startswith(f"<cc.{question.tracking.lower()}.")
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    assert DBTaskResult.objects.filter(status="READY").count() == 0
