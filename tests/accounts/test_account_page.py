import datetime

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from metering.models import Plan
from metering.plans import plan_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_account_page_needs_a_signed_in_user(client):
    response = client.get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"


def test_account_page_shows_email_plan_and_links(client, verified_user):
    client.force_login(verified_user)

    html = client.get("/accounts/").content.decode()

    assert "coder@example.com" in html
    assert "<dd>Free</dd>" in html
    assert "6 per month" in html
    for url in ("/accounts/password/change/", "/accounts/email/", "/accounts/delete/"):
        assert f'href="{url}"' in html


def test_premium_plan_shows_its_end_date_and_ends(client, verified_user, time_machine):
    verified_user.plan = Plan.objects.get(slug=Plan.PREMIUM)
    verified_user.plan_ends_on = datetime.date(2026, 12, 31)
    verified_user.save()
    # The last second of the plan's last day (UTC), then the first second after it.
    time_machine.move_to(
        datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=datetime.UTC), tick=False
    )
    client.force_login(verified_user)

    html = client.get("/accounts/").content.decode()

    assert "<dd>Premium</dd>" in html
    assert "December 31, 2026" in html
    time_machine.move_to(datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=datetime.UTC), tick=False)
    assert "<dd>Free</dd>" in client.get("/accounts/").content.decode()
    assert plan_for(verified_user, today=datetime.date(2026, 12, 31)).slug == Plan.PREMIUM
    assert plan_for(verified_user, today=datetime.date(2027, 1, 1)).slug == Plan.FREE


def test_staff_are_on_the_staff_plan(verified_user):
    verified_user.is_staff = True

    assert plan_for(verified_user, today=datetime.date(2026, 12, 1)).slug == Plan.STAFF


def test_header_shows_the_user_menu_with_a_post_logout(client, verified_user):
    client.force_login(verified_user)

    html = client.get("/").content.decode()

    assert 'class="user-menu"' in html
    assert '<form method="post" action="/accounts/logout/">' in html
    assert "Register free account" not in html.replace('<span class="wide-only">', "")


def sign_in_and_reauthenticate(client):
    client.post("/accounts/login/", {"login": "coder@example.com", "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def test_delete_account_asks_for_the_password_first(client, verified_user):
    client.post("/accounts/login/", {"login": "coder@example.com", "password": PASSWORD})

    response = client.get("/accounts/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Fdelete%2F"
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == "/accounts/delete/"
    assert b"This cannot be undone" in client.get("/accounts/delete/").content


def test_delete_account_needs_confirmation(client, verified_user):
    sign_in_and_reauthenticate(client)

    response = client.post("/accounts/delete/", {})

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_delete_account_removes_the_user_and_signs_out(client, verified_user):
    sign_in_and_reauthenticate(client)

    response = client.post("/accounts/delete/", {"confirm": "on"})

    assert response["Location"] == "/"
    assert not User.objects.filter(pk=verified_user.pk).exists()
    assert not EmailAddress.objects.filter(email="coder@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_delete_account_asks_for_the_password_again_after_a_while(client, verified_user, settings):
    sign_in_and_reauthenticate(client)
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0

    response = client.post("/accounts/delete/", {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_opening_the_delete_page_deletes_nothing(client, verified_user):
    sign_in_and_reauthenticate(client)

    assert client.get("/accounts/delete/").status_code == 200
    assert User.objects.filter(pk=verified_user.pk).exists()
