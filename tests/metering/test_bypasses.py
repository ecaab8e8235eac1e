"""Ways around the meter found when the site was attacked from outside, each closed."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import account_delete
from codes.models import Code
from metering.models import Meter
from tests.conftest import PASSWORD
from tests.factories import make_code

pytestmark = pytest.mark.django_db

FREE_CODES = ["99202", "99203", "99204", "99205", "99211", "99212"]


def unlocked(response) -> bool:
    return "Official Description" in response.content.decode()


def chrome(major: int) -> str:
    return (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


def test_rotating_user_agents_from_one_address_unlocks_at_most_the_daily_cap():
    codes = [make_code(identifier=f"{9300 + n}T") for n in range(100)]

    # 100 requests without cookies, each claiming another browser, each for another code.
    results = [
        unlocked(
            Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=chrome(100 + n)).get(
                code.get_absolute_url()
            )
        )
        for n, code in enumerate(codes)
    ]

    assert sum(results) == 20  # METER_NETWORK_DAILY_CAP's default
    assert results[:20] == [True] * 20
    # The cap is the address's, not the browser's; another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=chrome(100))
    assert unlocked(other.get(codes[-1].get_absolute_url()))
    assert Meter.objects.filter(scope="netcap", used=20).count() == 1


def test_the_daily_cap_is_a_setting(settings):
    settings.METER_NETWORK_DAILY_CAP = 2
    results = [
        unlocked(
            Client(REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT=chrome(120 + n)).get(
                f"/codes/cpt/{identifier}/"
            )
        )
        for n, identifier in enumerate(["99202", "99203", "99204"])
    ]

    assert results == [True, True, False]


def sign_in(client: Client, email: str) -> None:
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def change_email(client: Client, new: str) -> None:
    """Through allauth's own pages: add the address, follow the emailed link, confirm."""
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    mail.outbox.clear()
    assert client.post("/accounts/email/", {"action_add": "", "email": new}).status_code == 302
    message = next(m for m in mail.outbox if m.to == [new])
    link = re.search(r"http://testserver(/\S+)", str(message.body))
    assert link is not None
    client.post(link.group(1))


def test_changing_the_email_address_keeps_the_views_used(client, verified_user):
    sign_in(client, "coder@example.com")
    for identifier in FREE_CODES:
        assert unlocked(client.get(f"/codes/cpt/{identifier}/"))

    change_email(client, "another-address@example.com")

    assert User.objects.get(pk=verified_user.pk).email == "another-address@example.com"
    assert not unlocked(client.get("/codes/cpt/99213/"))
    assert "<dt>Used</dt><dd>6</dd>" in client.get("/accounts/").content.decode()


def register(email: str) -> Client:
    user = User.objects.create_user(email, PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client


def test_deleting_and_registering_either_address_again_restores_nothing(client, verified_user):
    sign_in(client, "coder@example.com")
    change_email(client, "later@example.com")
    for identifier in FREE_CODES:
        assert unlocked(client.get(f"/codes/cpt/{identifier}/"))
    account_delete(user=User.objects.get(pk=verified_user.pk))

    # The address it had last...
    last = register("later@example.com")
    assert not unlocked(last.get("/codes/cpt/99213/"))
    account_delete(user=User.objects.get(email="later@example.com"))
    # ... and the address it registered with.
    first = register("CODER@example.com")
    assert not unlocked(first.get("/codes/cpt/99213/"))
    assert unlocked(first.get("/codes/cpt/99202/"))  # what was viewed stays viewed


def test_an_account_deleted_in_the_admin_leaves_its_meter_behind(admin_client, verified_user):
    member = Client()
    member.force_login(verified_user)
    for identifier in FREE_CODES:
        member.get(f"/codes/cpt/{identifier}/")

    response = admin_client.post(
        f"/admin/accounts/user/{verified_user.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not unlocked(register("coder@example.com").get("/codes/cpt/99213/"))


def test_a_new_account_never_shares_a_live_accounts_meter(client, verified_user):
    sign_in(client, "coder@example.com")
    change_email(client, "moved@example.com")
    for identifier in FREE_CODES:
        client.get(f"/codes/cpt/{identifier}/")

    # Someone registers the address the first account started with, while it still lives.
    newcomer = register("coder@example.com")

    newcomer_key = User.objects.get(email="coder@example.com").meter_key
    assert newcomer_key != User.objects.get(email="moved@example.com").meter_key
    assert unlocked(newcomer.get("/codes/cpt/99213/"))


def test_meter_keys_are_unique_and_not_the_address():
    first = User.objects.create_user("one@example.com", PASSWORD)
    second = User.objects.create_user("two@example.com", PASSWORD)

    assert re.fullmatch(r"[0-9a-f]{64}", first.meter_key)
    assert first.meter_key != second.meter_key
    assert "one" not in first.meter_key


def test_a_code_viewed_under_the_old_address_stays_free(client, verified_user):
    sign_in(client, "coder@example.com")
    client.get("/codes/cpt/0439T/")
    change_email(client, "renamed@example.com")

    assert unlocked(client.get("/codes/cpt/0439T/"))
    assert Code.objects.filter(identifier="0439T").exists()
