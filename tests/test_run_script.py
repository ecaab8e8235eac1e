"""bin/run (`make run`): the web server and a worker start together and stop together, and the
worker sends what is waiting on every queue (mail has a queue of its own)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from common.tasks import send_email
from tests.helpers import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == pid:  # the parent id
            found[int(proc.name)] = cmdline
    return found


def test_the_server_and_a_worker_start_together_and_stop_on_ctrl_c():
    port = free_port()
    with override_settings(TASKS=settings.TASKS | {"default": DATABASE_TASKS}):
        mail = send_email.enqueue(subject="Hello", body="From the worker", to=["a@example.com"])
    env = os.environ | {"DATABASE_URL": database_url(), "DEBUG": "true"}
    run = subprocess.Popen(
        [sys.executable, "bin/run", f"127.0.0.1:{port}"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the web server did not answer"
                time.sleep(0.3)
        started = children(run.pid)
        assert any("runserver" in command for command in started.values())
        assert any("db_worker" in command for command in started.values())
        while DBTaskResult.objects.get(pk=mail.id).status != "SUCCESSFUL":
            assert time.monotonic() < deadline, "the worker did not send the mail"
            time.sleep(0.3)

        run.send_signal(signal.SIGINT)

        assert run.wait(timeout=40) == 0
        for pid in started:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if run.poll() is None:
            run.kill()
