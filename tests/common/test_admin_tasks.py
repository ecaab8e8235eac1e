"""Tasks that gave up are visible to staff in the admin, apart from tries that were retried,
and can be tried again."""

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from common.queue import RETRIED
from common.tasks import send_email

pytestmark = pytest.mark.django_db

URL = "/admin/django_tasks_database/dbtaskresult/"


@pytest.fixture
def rows(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    made = {}
    for name, path in (("retried", RETRIED), ("gave_up", "smtplib.SMTPDataError")):
        result = send_email.enqueue(subject=name, body="x", to=[f"{name}@example.com"])
        DBTaskResult.objects.filter(pk=result.id).update(
            status="FAILED", finished_at=timezone.now(), exception_class_path=path
        )
        made[name] = str(result.id)
    return made


def test_staff_see_the_tasks_that_gave_up(admin_client, rows):
    html = admin_client.get(URL + "?outcome=gave_up").content.decode()

    assert rows["gave_up"] in html and rows["retried"] not in html
    assert "SMTPDataError" in html


def test_staff_can_try_a_task_that_gave_up_again(admin_client, rows):
    admin_client.post(
        URL,
        {"action": "enqueue_again", "_selected_action": [rows["gave_up"], rows["retried"]]},
    )

    again = DBTaskResult.objects.filter(status="READY").get()
    assert again.args_kwargs["kwargs"]["to"] == ["gave_up@example.com"]
    assert "attempt" not in again.args_kwargs["kwargs"]
