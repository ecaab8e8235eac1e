"""Stripe's webhooks are the only source of truth for a member's plan.

Events are signed as Stripe signs them and sent through the real endpoint; the subscription's
state is fetched from a local stand-in for Stripe's API (ops/fake_stripe.py)."""

import datetime
import time

import pytest
from django.test import Client

from billing.models import BillingAccount, StripeEvent
from metering.models import Plan, PlanChange
from ops.fake_stripe import sign
from tests.billing.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

URL = "/billing/stripe/webhook/"
NOW = datetime.datetime(2026, 11, 16, 12, 0, tzinfo=datetime.UTC)
IN_30_DAYS = int((NOW + datetime.timedelta(days=30)).timestamp())


@pytest.fixture(autouse=True)
def frozen(time_machine):
    # Not ticking would stall the SDK's timeouts; the signatures' timestamps follow the clock.
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def member(verified_user, fake_stripe):
    """A free member who started a checkout: Stripe knows them as a customer."""
    customer = fake_stripe.new_id("cus")
    fake_stripe.customers[customer] = {"id": customer, "object": "customer"}
    BillingAccount.objects.create(account=verified_user, customer_id=customer)
    verified_user.customer_id = customer
    return verified_user


def post(client, payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    return client.post(
        URL,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, secret, timestamp)},
    )


def plan_of(user):
    user.refresh_from_db()
    return user.plan.slug, user.plan_ends_on


def subscribe(fake_stripe, member, client, *, period_end=IN_30_DAYS):
    sub = fake_stripe.subscription_create(customer=member.customer_id, period_end=period_end)
    assert post(client, fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    return sub


def test_a_new_subscription_makes_the_member_premium_through_its_period(
    client, fake_stripe, member
):
    session = {"id": "cs_1", "object": "checkout.session", "customer": member.customer_id,
               "subscription": None, "client_reference_id": str(member.pk)}  # fmt: skip
    sub = fake_stripe.subscription_create(customer=member.customer_id, period_end=IN_30_DAYS)
    session["subscription"] = sub["id"]

    response = post(client, fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    # The period ends December 16; a renewing subscription keeps Premium three days longer, so
    # a late renewal webhook never downgrades anyone.
    assert plan_of(member) == (Plan.PREMIUM, datetime.date(2026, 12, 19))
    change = PlanChange.objects.get(account=member)
    assert change.from_plan.slug == Plan.FREE and change.to_plan.slug == Plan.PREMIUM
    assert change.cause.startswith("stripe evt_") and "checkout.session.completed" in change.cause


def test_a_replayed_event_changes_nothing(client, fake_stripe, member):
    sub = fake_stripe.subscription_create(customer=member.customer_id, period_end=IN_30_DAYS)
    payload = fake_stripe.event("customer.subscription.created", sub)
    assert post(client, payload).json()["outcome"] == "applied"
    fake_stripe.subscription_update(sub["id"], status="canceled")  # Stripe moved on since

    again = post(client, payload)

    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert plan_of(member)[0] == Plan.PREMIUM
    assert StripeEvent.objects.count() == 1
    assert PlanChange.objects.count() == 1


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "tampered body", "old signature", "no signature", "not json"],
)
def test_anything_not_signed_by_stripe_is_refused_and_stores_nothing(
    client, fake_stripe, member, forgery
):
    sub = fake_stripe.subscription_create(customer=member.customer_id)
    payload = fake_stripe.event("customer.subscription.created", sub)
    match forgery:
        case "wrong secret":
            response = post(client, payload, secret="whsec_someone_else")
        case "tampered body":
            header = sign(payload, WEBHOOK_SECRET)
            forged = payload.replace('"active"', '"trialing"')
            response = client.post(URL, forged, content_type="application/json",
                                   headers={"Stripe-Signature": header})  # fmt: skip
        case "old signature":  # a captured event replayed after Stripe's five minutes
            response = post(client, payload, timestamp=int(time.time()) - 301)
        case "no signature":
            response = client.post(URL, payload, content_type="application/json")
        case _:
            response = post(client, "{not json")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert plan_of(member) == (Plan.FREE, None)


def test_repeated_forgeries_from_one_address_are_cut_off(client, fake_stripe, member, settings):
    settings.RATE_LIMIT_WEBHOOK_REFUSED = "3/m"
    sub = fake_stripe.subscription_create(customer=member.customer_id)
    payload = fake_stripe.event("customer.subscription.created", sub)

    statuses = [post(client, payload, secret="whsec_guess").status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 429, 429]


def test_a_subscription_deleted_before_its_creation_arrives_stays_deleted(
    client, fake_stripe, member
):
    sub = fake_stripe.subscription_create(customer=member.customer_id, period_end=IN_30_DAYS)
    created = fake_stripe.event("customer.subscription.created", sub, created=int(time.time()) - 60)
    fake_stripe.subscription_update(sub["id"], status="canceled")
    deleted = fake_stripe.event("customer.subscription.deleted", sub)

    assert post(client, deleted).status_code == 200  # arrives first
    assert post(client, created).status_code == 200  # the older event, late

    assert plan_of(member) == (Plan.FREE, None)
    assert BillingAccount.objects.get(account=member).status == "canceled"


def test_a_cancelled_subscription_keeps_premium_to_the_end_of_the_paid_period(
    client, fake_stripe, member, time_machine
):
    sub = subscribe(fake_stripe, member, client)
    assert (
        post(client, fake_stripe.event("invoice.paid", fake_stripe.invoice(sub["id"]))).status_code
        == 200
    )

    # The member cancels in the portal: Stripe ends the subscription at the period's end.
    fake_stripe.subscription_update(sub["id"], cancel_at_period_end=True)
    assert post(client, fake_stripe.event("customer.subscription.updated", sub)).status_code == 200
    assert plan_of(member) == (Plan.PREMIUM, datetime.date(2026, 12, 16))  # no grace: no renewal

    # At the period's end Stripe deletes it; what was paid for is over.
    time_machine.move_to(datetime.datetime.fromtimestamp(IN_30_DAYS + 60, datetime.UTC))
    fake_stripe.subscription_update(sub["id"], status="canceled")
    assert post(client, fake_stripe.event("customer.subscription.deleted", sub)).status_code == 200
    assert plan_of(member) == (Plan.FREE, None)


def test_an_immediate_cancellation_still_keeps_what_was_paid(client, fake_stripe, member):
    sub = subscribe(fake_stripe, member, client)
    assert (
        post(client, fake_stripe.event("invoice.paid", fake_stripe.invoice(sub["id"]))).status_code
        == 200
    )

    fake_stripe.subscription_update(sub["id"], status="canceled")
    assert post(client, fake_stripe.event("customer.subscription.deleted", sub)).status_code == 200

    assert plan_of(member) == (Plan.PREMIUM, datetime.date(2026, 12, 16))


def test_a_failed_payment_gets_stripes_retries_then_the_free_plan(
    client, fake_stripe, member, time_machine
):
    sub = subscribe(fake_stripe, member, client)
    assert (
        post(client, fake_stripe.event("invoice.paid", fake_stripe.invoice(sub["id"]))).status_code
        == 200
    )

    # The renewal fails: a new period has begun, unpaid; Stripe retries (past_due).
    time_machine.move_to(datetime.datetime.fromtimestamp(IN_30_DAYS + 3600, datetime.UTC))
    next_end = IN_30_DAYS + 30 * 86400
    fake_stripe.subscription_update(sub["id"], status="past_due", period_end=next_end)
    failed = fake_stripe.invoice(sub["id"], paid=False)
    assert post(client, fake_stripe.event("invoice.payment_failed", failed)).status_code == 200
    assert plan_of(member)[0] == Plan.PREMIUM  # during Stripe's retries
    assert "Your last payment failed" in client_page(member)

    # Stripe gives up and cancels it: Premium ends, the unpaid period is not kept.
    fake_stripe.subscription_update(sub["id"], status="canceled")
    assert post(client, fake_stripe.event("customer.subscription.deleted", sub)).status_code == 200
    assert plan_of(member) == (Plan.FREE, None)


def client_page(member) -> str:
    client = Client()
    client.force_login(member)
    return client.get("/accounts/").content.decode()


def test_events_about_customers_that_are_not_ours_are_ignored(client, fake_stripe, member):
    sub = fake_stripe.subscription_create(customer="cus_elsewhere")

    response = post(client, fake_stripe.event("customer.subscription.created", sub))

    assert response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.get().outcome == "ignored"
    assert plan_of(member) == (Plan.FREE, None)


def test_when_stripe_cannot_be_asked_the_event_is_kept_for_stripes_retry(
    client, fake_stripe, member
):
    sub = fake_stripe.subscription_create(customer=member.customer_id)
    payload = fake_stripe.event("customer.subscription.created", sub)
    fake_stripe.fail_api = True

    failed = post(client, payload)

    assert failed.status_code == 503
    assert failed["Retry-After"] == "30"
    assert not StripeEvent.objects.exists()
    fake_stripe.fail_api = False
    assert post(client, payload).json()["outcome"] == "applied"  # Stripe's retry
    assert plan_of(member)[0] == Plan.PREMIUM


def test_the_meter_and_the_gates_follow_the_plan_at_once(client, fake_stripe, member):
    reader = Client()
    reader.force_login(member)
    assert 'class="prose gated"' in reader.get("/codes/cpt/0439T/").content.decode()
    locked = reader.get("/codes/cpt/0439T/").content.decode().count("Upgrade to view content")

    subscribe(fake_stripe, member, client)

    html = reader.get("/codes/cpt/0439T/").content.decode()
    assert locked == 2
    assert "Upgrade to view content" not in html
    assert html.count('class="prose gated"') == 7


def test_every_plan_change_is_in_the_admin_with_its_cause(
    admin_client, client, fake_stripe, member
):
    subscribe(fake_stripe, member, client)

    html = admin_client.get("/admin/metering/planchange/").content.decode()

    assert "customer.subscription.created" in html
    assert admin_client.get("/admin/billing/stripeevent/").status_code == 200
    assert admin_client.get("/admin/billing/billingaccount/").status_code == 200
    assert StripeEvent.objects.get().note.startswith("active; premium until 2026-12-19")
