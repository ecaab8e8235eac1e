"""Premium through Stripe: starting Checkout and the portal, and applying Stripe's webhooks.

Webhooks are the only source of truth for an account's plan: a success redirect proves nothing.
Each event is stored in the transaction that applies it, so a retried or replayed event changes
nothing. Events may arrive late, twice or out of order, so an event's own copy of the
subscription is never trusted: the subscription is fetched from Stripe as it is now, under a lock
of the account's billing row, and the plan follows from that state:

- active, trialing or past_due (Stripe's dunning retries a failed payment): Premium through the
  current period's end, plus BILLING_RENEWAL_GRACE_DAYS while it renews, so a late renewal
  webhook never downgrades anyone;
- otherwise (canceled, unpaid, incomplete): Premium through the end of the last period an
  invoice was paid for, if that is still ahead (a cancelled subscription keeps what was paid),
  then Free.
"""

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing import stripe_api
from billing.models import BillingAccount, StripeEvent
from metering.plans import plan_set

LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
Interval = Literal["monthly", "yearly"]


def prices() -> dict[str, str]:
    """The intervals on sale, with their Stripe price ids."""
    offered = {"monthly": settings.STRIPE_PRICE_MONTHLY, "yearly": settings.STRIPE_PRICE_YEARLY}
    return {interval: price for interval, price in offered.items() if price}


# Checkout and the portal


def billing_customer(*, account_id: int, email: str) -> BillingAccount:
    """The account's Stripe customer, created the first time and reused ever after. Two
    simultaneous first checkouts get the same customer (Stripe's idempotency key)."""
    found = BillingAccount.objects.filter(account_id=account_id).first()
    if found is not None:
        return found
    customer_id = stripe_api.customer_create(email=email, account_id=account_id)
    try:
        with transaction.atomic():
            return BillingAccount.objects.create(account_id=account_id, customer_id=customer_id)
    except IntegrityError:
        return BillingAccount.objects.get(account_id=account_id)


def checkout_start(
    *, account_id: int, email: str, interval: Interval, success_url: str, cancel_url: str
) -> str:
    """The URL of Stripe Checkout for a Premium subscription. Raises StripeUnavailable."""
    billing = billing_customer(account_id=account_id, email=email)
    return stripe_api.checkout_session_create(
        customer_id=billing.customer_id,
        account_id=account_id,
        price=prices()[interval],
        success_url=success_url,
        cancel_url=cancel_url,
    )


def portal_start(*, account_id: int, return_url: str) -> str | None:
    """The URL of Stripe's customer portal for the account, or None if it never checked out."""
    billing = BillingAccount.objects.filter(account_id=account_id).first()
    if billing is None:
        return None
    return stripe_api.portal_session_create(customer_id=billing.customer_id, return_url=return_url)


# Webhooks


@dataclass(frozen=True, slots=True)
class WebhookResult:
    outcome: Literal["applied", "ignored", "duplicate"]
    event_id: str
    note: str = ""


def _customer_of(obj: dict[str, Any]) -> str:
    return str(obj.get("customer") or "")


def _subscription_of(event_type: str, obj: dict[str, Any]) -> str:
    if event_type.startswith("customer.subscription."):
        return str(obj.get("id") or "")
    if event_type.startswith("invoice."):
        # API versions since 2025-03-31 name it under parent.subscription_details.
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        return str(parent.get("subscription") or obj.get("subscription") or "")
    return str(obj.get("subscription") or "")


def _paid_period_end(obj: dict[str, Any]) -> datetime.datetime | None:
    """The end of the period a paid invoice covers: the latest end among its lines."""
    ends = [
        int((line.get("period") or {}).get("end") or 0)
        for line in (obj.get("lines") or {}).get("data") or []
    ]
    end = max(ends, default=0) or int(obj.get("period_end") or 0)
    return datetime.datetime.fromtimestamp(end, datetime.UTC) if end else None


def _record(event: dict[str, Any], *, customer_id: str) -> bool:
    """Store the event's id; False when it was stored before (a retry or a replay)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_stripeevent (event_id, type, created, received_at, customer_id,"
            " outcome, note) VALUES (%s, %s, %s, %s, %s, '', '') "
            "ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [
                event["id"],
                event["type"],
                datetime.datetime.fromtimestamp(int(event["created"]), datetime.UTC),
                timezone.now(),
                customer_id,
            ],
        )
        return cursor.fetchone() is not None


def webhook_receive(*, payload: bytes, signature: str) -> WebhookResult:
    """Apply one webhook. Raises ValueError for a payload not signed by Stripe with our secret,
    StripeUnavailable when Stripe cannot be asked (nothing is stored: Stripe sends it again)."""
    event = stripe_api.event_construct(payload=payload, signature=signature)
    event_type = str(event["type"])
    obj: dict[str, Any] = event["data"]["object"]
    customer_id = _customer_of(obj)
    with transaction.atomic():
        if not _record(event, customer_id=customer_id):
            return WebhookResult("duplicate", event["id"])
        outcome, note = _apply(event_type, obj, customer_id=customer_id, event_id=event["id"])
        StripeEvent.objects.filter(event_id=event["id"]).update(outcome=outcome, note=note[:255])
    return WebhookResult(outcome, event["id"], note)


def _apply(
    event_type: str, obj: dict[str, Any], *, customer_id: str, event_id: str
) -> tuple[Literal["applied", "ignored"], str]:
    if event_type not in EVENT_TYPES:
        return "ignored", "not a type CodeAhead uses"
    billing = BillingAccount.objects.select_for_update().filter(customer_id=customer_id).first()
    if billing is None:
        return "ignored", f"customer {customer_id or '(none)'} is not one of ours"
    if event_type == "invoice.paid":
        paid = _paid_period_end(obj)
        if paid is not None and (billing.paid_through is None or paid > billing.paid_through):
            billing.paid_through = paid
    subscription_id = _subscription_of(event_type, obj)
    if subscription_id:
        current = stripe_api.subscription_retrieve(subscription_id)
        adopted = (
            not billing.subscription_id
            or current.id == billing.subscription_id
            or current.status in LIVE_STATUSES
        )
        if adopted and current.customer_id == billing.customer_id:
            billing.subscription_id = current.id
            billing.status = current.status
            billing.current_period_end = current.current_period_end
            billing.cancel_at_period_end = current.cancel_at_period_end
    billing.synced_at = timezone.now()
    billing.save()
    slug, ends_on = plan_from(billing=billing, now=timezone.now())
    change = plan_set(
        account_id=billing.account_id,
        plan_slug=slug,
        ends_on=ends_on,
        cause=f"stripe {event_id} ({event_type})",
    )
    state = f"{billing.status or 'no subscription'}; {slug} until {ends_on or '-'}"
    return "applied", state + ("" if change.changed else " (unchanged)")


def plan_from(
    *, billing: BillingAccount, now: datetime.datetime
) -> tuple[str, datetime.date | None]:
    """The plan a billing state gives (see the module docstring): ("premium", last day) or
    ("free", None)."""
    ends: list[datetime.datetime] = []
    if billing.status in LIVE_STATUSES and billing.current_period_end is not None:
        grace = 0 if billing.cancel_at_period_end else settings.BILLING_RENEWAL_GRACE_DAYS
        ends.append(billing.current_period_end + datetime.timedelta(days=grace))
    if billing.paid_through is not None:
        ends.append(billing.paid_through)
    end = max(ends, default=None)
    if end is None or end <= now:
        return "free", None
    return "premium", end.astimezone(datetime.UTC).date()


# What members see


@dataclass(frozen=True, slots=True)
class BillingStatus:
    """A member's subscription as the account page shows it."""

    status: str
    renews_on: datetime.date | None  # the next charge, for a renewing subscription
    ends_on: datetime.date | None  # the last day of Premium, for a cancelled one
    payment_failed: bool


def billing_account_exists(*, account_id: int) -> bool:
    """Whether the member has been to Stripe, so the portal has something to show (one query)."""
    return BillingAccount.objects.filter(account_id=account_id).exists()


def billing_status(*, account_id: int) -> BillingStatus | None:
    billing = BillingAccount.objects.filter(account_id=account_id).first()
    if billing is None:
        return None
    period_end = (
        billing.current_period_end.astimezone(datetime.UTC).date()
        if billing.current_period_end
        else None
    )
    live = billing.status in LIVE_STATUSES
    _, plan_end = plan_from(billing=billing, now=timezone.now())
    return BillingStatus(
        status=billing.status,
        renews_on=period_end if live and not billing.cancel_at_period_end else None,
        ends_on=plan_end if not live or billing.cancel_at_period_end else None,
        payment_failed=billing.status == "past_due",
    )


@dataclass(frozen=True, slots=True)
class Offer:
    interval: str
    label: str
    price_text: str


def offers() -> list[Offer]:
    """What the plans page sells, when billing is set up."""
    if not settings.BILLING_ENABLED:
        return []
    labels = {"monthly": ("Pay monthly", settings.BILLING_PRICE_TEXT_MONTHLY),
              "yearly": ("Pay yearly", settings.BILLING_PRICE_TEXT_YEARLY)}  # fmt: skip
    return [Offer(interval, *labels[interval]) for interval in prices()]
