"""The few Stripe API calls CodeAhead makes, through the official SDK.

`STRIPE_API_BASE` points the SDK at Stripe (the default) or at a local stand-in that answers
these calls in Stripe's documented shapes (tests, staging, make faults)."""

import datetime
import functools
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the call; nothing was changed on our side."""


def client() -> stripe.StripeClient:
    """The process's Stripe client for the current settings (a change of key, address or
    timeout, as tests make, gets a client of its own)."""
    return _client(
        settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS
    )


@functools.cache
def _client(secret_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    """One client, and so one HTTP connection pool, per process and settings: the SDK's
    requests client keeps a session per thread, so threads share it safely."""
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base},
        max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except stripe.StripeError as error:
        raise StripeUnavailable(str(error.user_message or error)) from error


def customer_create(*, email: str, account_id: int) -> str:
    """A Stripe customer for an account; the idempotency key makes a retried call return the
    same customer instead of a second one."""
    customer = _call(
        client().v1.customers.create,
        params={"email": email, "metadata": {"account_id": str(account_id)}},
        options={"idempotency_key": f"codeahead-customer-{account_id}"},
    )
    return str(customer.id)


def checkout_session_create(
    *, customer_id: str, account_id: int, price: str, success_url: str, cancel_url: str
) -> str:
    """A Checkout session in subscription mode; returns the URL of Stripe's payment page."""
    session = _call(
        client().v1.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(account_id),
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
    )
    return str(session.url)


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    """A session of Stripe's customer portal (card, invoices, cancellation); returns its URL."""
    session = _call(
        client().v1.billing_portal.sessions.create,
        params={"customer": customer_id, "return_url": return_url},
    )
    return str(session.url)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as Stripe says it is now."""

    id: str
    customer_id: str
    status: str
    current_period_end: datetime.datetime | None
    cancel_at_period_end: bool


def _timestamp(value: Any) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(int(value), datetime.UTC) if value else None


def subscription_retrieve(subscription_id: str) -> Subscription:
    """The subscription's current state. Webhook events can arrive late, twice or out of order;
    what Stripe says now cannot."""
    found = _call(client().v1.subscriptions.retrieve, subscription_id)
    data = found.to_dict()
    items = (data.get("items") or {}).get("data") or []
    # Since API version 2025-03-31 the period lives on the subscription's items.
    period_end = max(
        (item.get("current_period_end") or 0 for item in items),
        default=data.get("current_period_end") or 0,
    )
    return Subscription(
        id=str(data["id"]),
        customer_id=str(data["customer"]),
        status=str(data["status"]),
        current_period_end=_timestamp(period_end),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
    )


def event_construct(*, payload: bytes, signature: str) -> dict[str, Any]:
    """The event, if `signature` is Stripe's for this payload with our webhook secret and not
    older than five minutes; raises ValueError otherwise."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise ValueError(f"bad signature: {error}") from None
    result: dict[str, Any] = event.to_dict()
    return result
