"""The whole account journey through allauth: signup, verification, login, logout, reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from metering.models import Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def signup(client, email="new@example.com", password=PASSWORD, headers=None, **fields):
    data = {"email": email, "password1": password, "password2": password, **fields}
    return client.post(SIGNUP, data, headers=headers)


def test_signup_verify_login_logout_journey(client):
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new@example.com")
    assert user.plan.slug == Plan.FREE
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session  # no sign-in before verification
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("CodeAhead: ")
    confirm_url = link_in(mail.outbox[0])

    # Opening the link only shows a button: mail scanners must not confirm by GET.
    assert client.get(confirm_url).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(confirm_url)

    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response["Location"] == "/accounts/"

    assert client.get("/accounts/logout/").status_code == 200  # GET only asks
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session

    response = client.post(LOGIN, {"login": "NEW@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_unverified_account_cannot_sign_in(client):
    signup(client)
    client.logout()
    mail.outbox.clear()

    response = client.post(LOGIN, {"login": "new@example.com", "password": PASSWORD})

    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert mail.outbox == []  # the link sent at signup is fresh: no second mail within 3 minutes


def test_weak_passwords_are_refused(client):
    response = signup(client, password="password1234")

    assert response.status_code == 200
    assert b"This password is too common." in response.content
    response = signup(client, password="short pw 1")
    assert b"at least 12 characters" in response.content
    assert not User.objects.exists()


def test_honeypot_signup_is_answered_like_a_real_one_but_creates_nothing(client):
    response = signup(client, website="https://spam.example")

    assert response.status_code == 302
    assert not User.objects.filter(email="new@example.com").exists()
    assert mail.outbox == []


def test_signup_with_a_known_email_looks_the_same_and_warns_the_owner(client, verified_user):
    known = signup(client, email="CODER@example.com")
    client.cookies.clear()
    unknown = signup(client, email="someone-else@example.com")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert User.objects.filter(email__iexact="coder@example.com").count() == 1
    assert "already" in mail.outbox[0].body.lower()


def test_password_reset_answers_alike_for_known_and_unknown_emails(client, verified_user):
    known = client.post("/accounts/password/reset/", {"email": "coder@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert {tuple(m.to) for m in mail.outbox} == {("coder@example.com",), ("nobody@example.com",)}


def test_password_reset_sets_a_new_password(client, verified_user):
    client.post("/accounts/password/reset/", {"email": "coder@example.com"})
    reset_url = link_in(mail.outbox[0])

    form_url = client.get(reset_url)["Location"]  # allauth moves the key into the session
    new = "a brand new passphrase 42"
    response = client.post(form_url, {"password1": new, "password2": new})

    assert response.status_code == 302
    verified_user.refresh_from_db()
    assert verified_user.check_password(new)
    assert client.post(LOGIN, {"login": "coder@example.com", "password": new}).status_code == 302


def test_repeated_failed_logins_lock_the_account_even_with_the_right_password(
    client, verified_user
):
    for _ in range(5):
        response = client.post(LOGIN, {"login": "coder@example.com", "password": "wrong " * 3})
        assert response.status_code == 200

    response = client.post(LOGIN, {"login": "coder@example.com", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 429}
    assert b"Too many failed login attempts" in response.content


def test_signups_from_one_address_are_rate_limited(client, settings):
    statuses = [signup(client, email=f"user{n}@example.com").status_code for n in range(11)]

    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429


def test_change_password_keeps_the_user_signed_in(client, verified_user):
    client.force_login(verified_user)
    new = "another long passphrase 9"

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )

    assert response.status_code == 302
    verified_user.refresh_from_db()
    assert verified_user.check_password(new)
    assert "_auth_user_id" in client.session


def test_email_change_verifies_the_new_address_before_using_it(client, verified_user):
    client.post(LOGIN, {"login": "coder@example.com", "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    mail.outbox.clear()

    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "new-address@example.com"}
    )

    assert response.status_code == 302
    verified_user.refresh_from_db()
    assert verified_user.email == "coder@example.com"
    message = next(m for m in mail.outbox if m.to == ["new-address@example.com"])
    client.post(link_in(message))
    verified_user.refresh_from_db()
    assert verified_user.email == "new-address@example.com"
    assert not EmailAddress.objects.filter(email="coder@example.com").exists()


def test_spoofed_forwarded_for_headers_do_not_escape_the_rate_limit(client):
    statuses = [
        signup(
            client, email=f"u{n}@example.com", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(11)
    ]

    assert statuses[10] == 429  # no proxy is trusted by default: the header is ignored


def test_client_ip_comes_from_the_trusted_proxy_hop(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    statuses = [
        signup(
            client, email=f"u{n}@example.com", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(11)
    ]

    assert 429 not in statuses  # eleven clients behind our proxy, one signup each


def test_the_failed_login_limit_holds_whatever_the_host_header_says(client, verified_user):
    for host in ["localhost", "127.0.0.1", "LOCALHOST", "localhost:8080", "127.0.0.1"]:
        client.post(LOGIN, {"login": "coder@example.com", "password": "wrong " * 3}, HTTP_HOST=host)

    response = client.post(
        LOGIN, {"login": "coder@example.com", "password": PASSWORD}, HTTP_HOST="testserver"
    )

    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
