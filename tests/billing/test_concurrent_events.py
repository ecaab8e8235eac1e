"""Events for one customer at the same moment, on separate connections (run three times)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client

from accounts.models import User
from billing.models import BillingAccount, StripeEvent
from metering.models import Plan, PlanChange
from ops.fake_stripe import sign
from tests.billing.conftest import WEBHOOK_SECRET
from tests.conftest import PASSWORD, restore_plans

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_two_events_at_once_for_one_customer_apply_once_each_and_agree(fake_stripe, attempt):
    restore_plans()
    user = User.objects.create_user("parallel-billing@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    BillingAccount.objects.create(account=user, customer_id="cus_parallel")
    sub = fake_stripe.subscription_create(customer="cus_parallel")
    payloads = [
        fake_stripe.event("customer.subscription.created", sub),
        fake_stripe.event("invoice.paid", fake_stripe.invoice(sub["id"])),
        fake_stripe.event("customer.subscription.updated", sub),
        fake_stripe.event("invoice.paid", fake_stripe.invoice(sub["id"])),
        fake_stripe.event("customer.subscription.updated", sub),
    ]
    payloads.append(payloads[0])  # and a retry of the first, at the same moment
    barrier = threading.Barrier(len(payloads))

    def deliver(payload: str) -> int:
        try:
            barrier.wait()
            return (
                Client()
                .post(
                    "/billing/stripe/webhook/",
                    payload,
                    content_type="application/json",
                    headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
                )
                .status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        statuses = list(pool.map(deliver, payloads))

    assert statuses == [200] * 6
    assert StripeEvent.objects.count() == 5  # the retry was a no-op
    user.refresh_from_db()
    assert user.plan.slug == Plan.PREMIUM
    assert PlanChange.objects.filter(account=user).count() == 1
    # No event's write was lost to another's: the paid period and the subscription are both kept.
    billing = BillingAccount.objects.get(account=user)
    assert billing.paid_through is not None
    assert billing.subscription_id == sub["id"] and billing.status == "active"
