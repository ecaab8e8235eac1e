"""Parallel signups with one address: one account, and the normal answer for every request."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD, restore_plans

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 6


def test_parallel_signups_with_one_address_make_one_account_and_no_error():
    restore_plans()
    barrier = threading.Barrier(REQUESTS)

    def sign_up(n: int) -> tuple[int, str]:
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        try:
            barrier.wait()
            response = client.post(
                "/accounts/signup/",
                {"email": "race@example.com", "password1": PASSWORD, "password2": PASSWORD},
            )
            return response.status_code, response.get("Location", "")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(sign_up, range(REQUESTS)))

    # Every request gets what any signup gets: "check your email" (a known address is told by
    # email, never on the page).
    assert answers == [(302, "/accounts/confirm-email/")] * REQUESTS
    assert User.objects.filter(email__iexact="race@example.com").count() == 1
