"""The metering rules of PRODUCT.md, one behaviour per test, through real requests."""

import datetime
import json
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import User
from metering.models import Meter, MeterView, Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def guest(ip="198.51.100.7", agent=CHROME) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


def unlocked(response) -> bool:
    return "Official Description" in response.content.decode()


def banner(response) -> str:
    match = re.search(
        r'<div class="meter-banner[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def test_guest_first_code_is_unlocked_and_the_banner_tells_the_truth():
    response = guest().get("/codes/cpt/0439T/")

    assert response.status_code == 200
    assert unlocked(response)
    assert banner(response) == (
        "0 code page views remaining. Guest accounts are limited to 1 page view. "
        "Register free account to get 5 more views."
    )


def test_second_code_is_locked_for_guest_but_still_answers_200():
    client = guest()
    client.get("/codes/cpt/0439T/")

    response = client.get("/codes/cpt/93306/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "CPT® Code 93306" in html
    assert banner(response).startswith("0 code page views remaining.")
    assert "Register to view CPT® Code 93306" in html
    assert not unlocked(response)
    assert "Common Language Description" not in html
    assert "Summary of the Procedure" not in html  # no section at all, not even its title


def test_reopening_a_viewed_code_is_free_and_unlocked():
    client = guest()
    client.get("/codes/cpt/0439T/")

    assert unlocked(client.get("/codes/cpt/0439T/"))
    assert Meter.objects.get(scope="guest").used == 1


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", "/codes/CPT/0439t/", {}),  # redirect
        ("get", "/codes/cpt/0000T/", {}),  # 404
        ("head", "/codes/cpt/0439T/", {}),
        ("get", "/codes/cpt/0439T/", {"Sec-Purpose": "prefetch"}),
        ("get", "/codes/cpt/0439T/", {"Purpose": "prefetch"}),
        ("get", "/codes/cpt/0439T/", {"Sec-Purpose": "prefetch;prerender"}),
        ("get", "/search/?q=0439", {}),
        ("get", "/search/?q=perfusion", {}),
        ("get", "/codes/cpt/sections/cpt-category-iii/", {}),
        ("get", "/", {}),
    ],
)
def test_only_opening_a_code_page_uses_a_view(method, path, headers):
    client = guest()

    getattr(client, method)(path, headers=headers)

    assert not MeterView.objects.exists()
    assert unlocked(client.get("/codes/cpt/93306/"))  # the one guest view is still there


def test_prefetch_of_an_unviewed_page_returns_nothing_to_keep():
    response = guest().get("/codes/cpt/0439T/", headers={"Sec-Purpose": "prefetch"})

    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"]


def test_search_engines_get_what_a_guest_gets():
    bot = guest(agent=GOOGLEBOT)
    bot.get("/codes/cpt/0439T/")

    response = bot.get("/codes/cpt/93306/", headers={"Referer": "https://www.google.com/"})

    assert not unlocked(response)


def test_code_pages_are_private_and_vary_on_cookie():
    response = guest().get("/codes/cpt/0439T/")

    assert response["Cache-Control"] == "private"
    assert "Cookie" in response["Vary"]


def test_code_pages_declare_their_gated_parts_to_search_engines():
    html = guest().get("/codes/cpt/0439T/").content.decode()

    data = json.loads(
        re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html).group(
            1
        )
    )
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"][0]["cssSelector"] == ".gated"
    assert html.count('class="card description gated"') == 2
    assert 'class="locked" data-nosnippet' in html
    assert 'class="meter-banner meter-banner-empty" role="status" data-nosnippet' in html


def test_guest_can_read_section_titles_but_not_registered_bodies():
    html = guest().get("/codes/cpt/0439T/").content.decode()

    assert "Summary of the Procedure" in html
    assert html.count("Register to view content") == 5
    # A free account would not unlock the premium sections: a guest is not promised them.
    assert html.count("Upgrade to view content") == 2
    assert 'class="prose gated"' not in html


def test_free_account_reads_registered_sections_and_is_asked_to_upgrade_for_premium(
    client, verified_user
):
    client.force_login(verified_user)

    html = client.get("/codes/cpt/0439T/").content.decode()

    assert html.count('class="prose gated"') == 5
    assert html.count("Upgrade to view content") == 2
    assert "Register to view content" not in html


def test_premium_reads_everything_without_a_banner(reader):
    response = reader.get("/codes/cpt/0439T/")

    assert response.content.decode().count('class="prose gated"') == 7
    assert banner(response) == ""


def test_free_account_has_six_views_then_the_upgrade_call(client, verified_user, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 16, 9, 30, tzinfo=datetime.UTC))
    client.force_login(verified_user)
    codes = ["99202", "99203", "99204", "99205", "99211", "99212"]
    banners = [banner(client.get(f"/codes/cpt/{code}/")) for code in codes]

    response = client.get("/codes/cpt/99213/")

    assert [b.split(".")[0] for b in banners] == [
        "5 code page views remaining",
        "4 code page views remaining",
        "3 code page views remaining",
        "2 code page views remaining",
        "1 code page view remaining",
        "0 code page views remaining",
    ]
    assert (
        "Your Free plan includes 6 code page views a month; the count resets on December 1, 2026."
        in banners[0]
    )
    assert not unlocked(response)
    assert "Upgrade to Premium" in response.content.decode()
    assert unlocked(client.get("/codes/cpt/99202/"))


def test_unverified_accounts_only_get_the_guest_allowance(client, verified_user):
    EmailAddress.objects.filter(user=verified_user).update(verified=False)
    client.force_login(verified_user)

    assert unlocked(client.get("/codes/cpt/99202/"))
    assert not unlocked(client.get("/codes/cpt/99203/"))


def test_staff_are_unmetered(client, verified_user):
    verified_user.is_staff = True
    verified_user.save()
    client.force_login(verified_user)

    for code in ["99202", "99203", "99204", "99205", "99211", "99212", "99213"]:
        assert unlocked(client.get(f"/codes/cpt/{code}/"))


def test_the_allowance_resets_with_the_calendar_month():
    client = guest()
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 59, tzinfo=datetime.UTC)):
        client.get("/codes/cpt/0439T/")
        assert not unlocked(client.get("/codes/cpt/93306/"))
    with time_machine.travel(datetime.datetime(2026, 12, 1, 0, 1, tzinfo=datetime.UTC)):
        assert unlocked(client.get("/codes/cpt/93306/"))


def test_clearing_cookies_does_not_mint_unlimited_guest_views():
    # Each new client is a fresh browser profile on the same network and browser.
    results = [
        unlocked(guest().get(f"/codes/cpt/{code}/"))
        for code in ["99202", "99203", "99204", "99205"]
    ]

    assert results == [True, True, True, False]  # METER_NETWORK_DAILY = 3


def test_colleagues_behind_one_address_with_other_browsers_are_not_shut_out():
    for code in ["99202", "99203", "99204"]:
        guest().get(f"/codes/cpt/{code}/")

    assert unlocked(guest(agent=FIREFOX).get("/codes/cpt/99205/"))
    assert unlocked(guest(ip="203.0.113.9").get("/codes/cpt/99205/"))


def test_the_network_allowance_renews_daily():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC)):
        for code in ["99202", "99203", "99204"]:
            guest().get(f"/codes/cpt/{code}/")
        assert not unlocked(guest().get("/codes/cpt/99205/"))
    with time_machine.travel(datetime.datetime(2026, 11, 27, 12, tzinfo=datetime.UTC)):
        assert unlocked(guest().get("/codes/cpt/99205/"))


def test_no_raw_ip_address_is_stored():
    guest(ip="198.51.100.77").get("/codes/cpt/0439T/")

    for meter in Meter.objects.all():
        assert "198.51.100" not in meter.key
        assert re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", meter.key)


def test_logging_in_carries_the_guest_views_into_the_account(client, verified_user):
    client.get("/codes/cpt/0439T/")

    client.post("/accounts/login/", {"login": verified_user.email, "password": PASSWORD})

    response = client.get("/codes/cpt/93306/")
    assert unlocked(response)
    assert banner(response).startswith("4 code page views remaining.")
    assert unlocked(client.get("/codes/cpt/0439T/"))


def test_logging_out_resets_nothing(client, verified_user):
    client.get("/codes/cpt/0439T/")
    client.post("/accounts/login/", {"login": verified_user.email, "password": PASSWORD})
    client.get("/codes/cpt/93306/")

    client.post("/accounts/logout/")

    assert unlocked(client.get("/codes/cpt/0439T/"))  # the guest's own view survives
    assert not unlocked(client.get("/codes/cpt/99213/"))  # and no fresh guest view appears
    client.post("/accounts/login/", {"login": verified_user.email, "password": PASSWORD})
    assert banner(client.get("/codes/cpt/93306/")).startswith("4 code page views remaining.")


def test_deleting_and_recreating_an_account_does_not_restore_views(client, verified_user):
    client.force_login(verified_user)
    for code in ["99202", "99203", "99204", "99205", "99211", "99212"]:
        client.get(f"/codes/cpt/{code}/")
    verified_user.delete()

    again = User.objects.create_user("CODER@example.com", PASSWORD)
    EmailAddress.objects.create(user=again, email=again.email, verified=True, primary=True)
    client.force_login(again)

    assert not unlocked(client.get("/codes/cpt/99213/"))
    assert unlocked(client.get("/codes/cpt/99202/"))


def test_plan_changes_apply_to_the_current_period(client, verified_user):
    client.force_login(verified_user)
    for code in ["99202", "99203", "99204", "99205", "99211", "99212"]:
        client.get(f"/codes/cpt/{code}/")
    verified_user.plan = Plan.objects.get(slug=Plan.PREMIUM)
    verified_user.save()

    assert unlocked(client.get("/codes/cpt/99213/"))

    verified_user.plan_ends_on = datetime.date(2026, 1, 31)  # premium over: back to Free
    verified_user.save()
    assert not unlocked(client.get("/codes/cpt/99214/"))
    assert unlocked(client.get("/codes/cpt/99213/"))


def test_account_page_lists_usage_and_the_codes_viewed(client, verified_user, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 16, 9, 30, tzinfo=datetime.UTC))
    client.force_login(verified_user)
    client.get("/codes/cpt/0439T/")
    client.get("/codes/icd10cm/E11.9/")

    html = client.get("/accounts/").content.decode()

    assert "<dt>Used</dt><dd>2</dd>" in html
    assert "4 of 6" in html
    assert "December 1, 2026" in html
    assert 'href="/codes/cpt/0439T/"' in html
    assert 'href="/codes/icd10cm/E11.9/"' in html


def test_allowances_are_read_from_the_plans(client):
    Plan.objects.filter(slug=Plan.GUEST).update(views_per_period=2)

    client = guest()
    assert unlocked(client.get("/codes/cpt/0439T/"))
    assert unlocked(client.get("/codes/cpt/93306/"))
    assert not unlocked(client.get("/codes/cpt/99213/"))


def test_the_fingerprint_key_rotates_daily_and_old_keys_are_deleted():
    from metering.models import NetworkKey

    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC)):
        guest().get("/codes/cpt/0439T/")
        first = Meter.objects.get(scope="network").key
    with time_machine.travel(datetime.datetime(2026, 11, 27, 12, tzinfo=datetime.UTC)):
        guest().get("/codes/cpt/0439T/")

    assert list(NetworkKey.objects.values_list("day", flat=True)) == [datetime.date(2026, 11, 27)]
    second = Meter.objects.get(scope="network", period_start=datetime.date(2026, 11, 27)).key
    assert first != second  # the same address and browser are not linkable across days


def test_a_guest_is_a_signed_cookie_not_a_session():
    from accounts.models import Session
    from metering.viewers import GUEST_COOKIE

    client = guest()
    response = client.get("/codes/cpt/0439T/")

    cookie = response.cookies[GUEST_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not Session.objects.exists()  # nothing stored for a guest but its meters
    assert unlocked(client.get("/codes/cpt/0439T/"))  # the cookie brings the guest back


def test_a_forged_guest_cookie_counts_as_no_guest(client):
    from metering.viewers import GUEST_COOKIE

    first = guest()
    first.get("/codes/cpt/0439T/")
    real = first.cookies[GUEST_COOKIE].value
    forged = guest()
    forged.cookies[GUEST_COOKIE] = real.replace(real[:32], "0" * 32)  # another id, same signature

    response = forged.get("/codes/cpt/0439T/")

    assert response.status_code == 200
    assert Meter.objects.filter(scope="guest").count() == 2  # a new guest, not guest 0…0
    assert not Meter.objects.filter(scope="guest", key="0" * 32).exists()
