"""The database enforces the allowance: parallel requests never unlock more than it allows."""

import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client, RequestFactory

from accounts.models import User
from codes.models import Code
from metering.meter import meter_open, viewer_for
from metering.models import Meter, MeterView
from tests.conftest import PASSWORD, restore_plans
from tests.helpers import database_url, free_port, in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture
def codes():
    call_command("load_demo", verbosity=0)
    restore_plans()
    return list(Code.objects.select_related("code_set").order_by("pk")[:THREADS])


@pytest.fixture
def free_user(codes):
    user = User.objects.create_user("parallel@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_twenty_parallel_first_views_unlock_exactly_the_free_allowance(codes, free_user):
    request = RequestFactory().get("/")
    request.user = free_user
    viewer = viewer_for(request)

    results = in_parallel(lambda code: meter_open(viewer=viewer, code=code, charge=True), codes)

    assert sum(state.unlocked for state in results) == 6
    meter = Meter.objects.get(scope="account")
    assert meter.used == 6
    assert MeterView.objects.filter(meter=meter).count() == 6


def test_parallel_requests_for_one_code_record_one_view(codes, free_user):
    request = RequestFactory().get("/")
    request.user = free_user
    viewer = viewer_for(request)

    results = in_parallel(
        lambda _: meter_open(viewer=viewer, code=codes[0], charge=True), range(THREADS)
    )

    assert all(state.unlocked for state in results)
    assert Meter.objects.get(scope="account").used == 1


def test_a_guest_with_one_view_left_unlocks_exactly_one_of_twenty_pages(codes):
    client = Client(REMOTE_ADDR="198.51.100.20")
    client.get("/")  # no view used
    session_cookie = client.cookies

    def open_page(code):
        parallel = Client(REMOTE_ADDR="198.51.100.20")
        parallel.cookies = session_cookie
        return "Official Description" in parallel.get(code.get_absolute_url()).content.decode()

    # The guest id must exist before the race, as it would after the guest's first page.
    session = client.session
    session["codeahead_guest_id"] = "f" * 32
    session.save()
    assert session.session_key is not None
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    results = in_parallel(open_page, codes)

    assert sum(results) == 1
    assert Meter.objects.get(scope="guest").used == 1


@pytest.fixture
def two_app_servers(codes):
    """Two separate server processes on their own ports, sharing the test database."""
    ports = [free_port(), free_port()]
    env = os.environ | {"DATABASE_URL": database_url(), "DEBUG": "true"}
    servers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/casepilot/", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        yield ports
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_two_server_processes_share_one_allowance(two_app_servers, codes, free_user):
    client = Client()
    client.force_login(free_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def open_page(index):
        port = two_app_servers[index % 2]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{codes[index].get_absolute_url()}",
            headers={"Cookie": cookie},
        )
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(request, timeout=30) as response:
            return "Official Description" in response.read().decode()

    results = in_parallel(open_page, list(range(THREADS)))

    assert sum(results) == 6
    assert Meter.objects.get(scope="account").used == 6
