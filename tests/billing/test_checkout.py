"""Upgrading: Stripe Checkout and the customer portal, from the plans page and the account page."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress

from billing.models import BillingAccount
from metering.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, verified_user):
    client.force_login(verified_user)
    return verified_user


def test_without_keys_the_plans_page_reads_as_before(client, member):
    html = client.get("/plans/").content.decode()

    assert "Online checkout for Premium opens soon." in html
    assert 'action="/billing/checkout/"' not in html
    assert client.post("/billing/checkout/", {"interval": "monthly"}).status_code == 404


def test_a_verified_member_is_sent_to_checkout_as_a_stripe_customer(client, member, fake_stripe):
    html = client.get("/plans/?next=/codes/cpt/0439T/").content.decode()
    assert 'action="/billing/checkout/"' in html
    assert '<input type="hidden" name="next" value="/codes/cpt/0439T/">' in html

    response = client.post(
        "/billing/checkout/", {"interval": "yearly", "next": "/codes/cpt/0439T/"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake_stripe.base}/checkout/cs_test_")
    session = next(
        iter(s for s in fake_stripe.sessions.values() if s["object"] == "checkout.session")
    )
    assert session["mode"] == "subscription"
    assert session["line_items_price"] == "price_premium_yearly"
    assert session["client_reference_id"] == str(member.pk)
    assert session["success_url"].endswith("/billing/done/?next=/codes/cpt/0439T/")
    billing = BillingAccount.objects.get(account=member)
    assert session["customer"] == billing.customer_id


def test_a_next_page_with_its_own_query_survives_the_trip_through_checkout(
    client, member, fake_stripe
):
    back = "/codes/search/?q=knee&page=2#results"

    client.post("/billing/checkout/", {"interval": "monthly", "next": back})

    session = next(s for s in fake_stripe.sessions.values() if s["object"] == "checkout.session")
    success = urlsplit(session["success_url"])
    assert success.path == "/billing/done/" and not success.fragment
    assert parse_qs(success.query) == {"next": [back]}


def test_the_customer_is_created_once_and_reused(client, member, fake_stripe):
    for interval in ("monthly", "yearly", "monthly"):
        client.post("/billing/checkout/", {"interval": interval})

    assert len(fake_stripe.customers) == 1
    assert BillingAccount.objects.filter(account=member).count() == 1
    customers = {s["customer"] for s in fake_stripe.sessions.values()}
    assert customers == {BillingAccount.objects.get().customer_id}


def test_returning_from_checkout_changes_nothing_by_itself(client, member, fake_stripe):
    client.post("/billing/checkout/", {"interval": "monthly"})

    html = client.get("/billing/done/?next=/codes/cpt/0439T/").content.decode()

    assert "Stripe is confirming your payment" in html
    assert '<meta http-equiv="refresh" content="5">' in html
    member.refresh_from_db()
    assert member.plan.slug == Plan.FREE


@pytest.mark.parametrize(
    ("setup", "expected"),
    [("anonymous", "/accounts/login/"), ("unverified", "/accounts/email/")],
)
def test_only_verified_members_can_check_out(client, verified_user, fake_stripe, setup, expected):
    if setup == "unverified":
        EmailAddress.objects.filter(user=verified_user).update(verified=False)
        client.force_login(verified_user)

    response = client.post("/billing/checkout/", {"interval": "monthly"})

    assert response.status_code == 302
    assert response["Location"].startswith(expected)
    assert not fake_stripe.customers


def test_bad_input_gets_a_message_and_changes_nothing(client, member, fake_stripe):
    response = client.post("/billing/checkout/", {"interval": "lifetime"}, follow=True)

    assert "Choose monthly or yearly billing." in response.content.decode()
    assert not fake_stripe.customers
    assert client.get("/billing/checkout/").status_code == 405
    assert client.post(
        "/billing/checkout/", {"interval": "monthly", "next": "https://evil.example/"}
    )["Location"].startswith(fake_stripe.base)
    session = next(s for s in fake_stripe.sessions.values() if s["object"] == "checkout.session")
    assert "evil" not in session["success_url"]


def test_stripe_being_down_gets_a_clear_message(client, member, fake_stripe):
    fake_stripe.fail_api = True

    response = client.post("/billing/checkout/", {"interval": "monthly"}, follow=True)

    assert "Payment is unavailable right now." in response.content.decode()
    assert not BillingAccount.objects.exists()


def test_checkouts_are_rate_limited_per_account(client, member, fake_stripe, settings):
    settings.RATE_LIMIT_BILLING = "2/m"

    statuses = [
        client.post("/billing/checkout/", {"interval": "monthly"})["Location"].startswith(
            fake_stripe.base
        )
        for _ in range(3)
    ]

    assert statuses == [True, True, False]


def test_the_portal_opens_for_a_customer_and_the_account_page_links_it(client, member, fake_stripe):
    assert 'action="/billing/portal/"' not in client.get("/accounts/").content.decode()
    client.post("/billing/checkout/", {"interval": "monthly"})

    account = client.get("/accounts/").content.decode()
    response = client.post("/billing/portal/")

    assert 'action="/billing/portal/"' in account
    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake_stripe.base}/portal/bps_")
    portal = next(
        s for s in fake_stripe.sessions.values() if s["object"] == "billing_portal.session"
    )
    assert portal["return_url"] == "http://testserver/accounts/"


def test_a_member_without_a_customer_is_sent_to_the_plans(client, member, fake_stripe):
    response = client.post("/billing/portal/")

    assert response["Location"] == "/plans/"


def test_the_account_page_shows_renewal_or_end(client, member, fake_stripe, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 20, tzinfo=datetime.UTC))
    client.force_login(member)  # a session of that day
    billing = BillingAccount.objects.create(
        account=member, customer_id="cus_x", subscription_id="sub_x", status="active",
        current_period_end="2027-01-15T10:00:00Z",
    )  # fmt: skip
    assert (
        "<dt>Renews on</dt><dd>January 15, 2027</dd>" in client.get("/accounts/").content.decode()
    )

    billing.cancel_at_period_end = True
    billing.save()
    assert "<dt>Ends</dt><dd>January 15, 2027</dd>" in client.get("/accounts/").content.decode()


def test_the_plans_page_offers_the_portal_to_a_premium_customer_only(client, member, fake_stripe):
    from metering.plans import plan_set

    plan_set(account_id=member.pk, plan_slug=Plan.PREMIUM, ends_on=None, cause="test")
    assert "Manage billing" not in client.get("/plans/").content.decode()

    BillingAccount.objects.create(account=member, customer_id="cus_test_plans")

    assert "Manage billing" in client.get("/plans/").content.decode()
