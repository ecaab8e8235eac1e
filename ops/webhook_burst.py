"""`make faults`, step 7: a burst of Stripe webhooks against two app servers at once.

Fifty paying members, each with a subscription in a local stand-in for Stripe that ends in one
of five states (renewing, cancelled at the period's end, cancelled at once after paying, cancelled
after a failed payment, in Stripe's payment retries). Their events (created, updated, paid,
failed, deleted) and a copy of a fifth of them, 200 in all, are shuffled and posted at once,
alternating between servers A and B. Afterwards every member's plan must be what Stripe's final
state gives, and no request may have failed.
"""

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ops.fake_stripe import PERIOD_SECONDS, FakeStripe

MEMBERS = 50
STATES = ("renewing", "cancel_at_period_end", "cancelled_after_paying", "dunning_failed",
          "past_due")  # fmt: skip


def scenario(fake: FakeStripe, customer: str, state: str) -> tuple[list[str], str]:
    """The events of one member's subscription, and the plan Stripe's final state gives."""
    now = int(time.time())
    sub = fake.subscription_create(customer=customer, period_end=now + PERIOD_SECONDS)
    events = [fake.event("customer.subscription.created", sub, created=now - 50)]
    events.append(fake.event("invoice.paid", fake.invoice(sub["id"]), created=now - 49))
    if state == "renewing":
        events.append(fake.event("customer.subscription.updated", sub, created=now - 40))
        return events, "premium"
    if state == "cancel_at_period_end":
        fake.subscription_update(sub["id"], cancel_at_period_end=True)
        events.append(fake.event("customer.subscription.updated", sub, created=now - 40))
        return events, "premium"
    if state == "cancelled_after_paying":
        fake.subscription_update(sub["id"], status="canceled")
        events.append(fake.event("customer.subscription.deleted", sub, created=now - 40))
        return events, "premium"  # through the paid period
    # The renewal failed: a new, unpaid period; Stripe retries, then may give up.
    fake.subscription_update(sub["id"], status="past_due", period_end=now + 2 * PERIOD_SECONDS)
    unpaid = fake.invoice(sub["id"], paid=False)
    unpaid["lines"]["data"][0]["period"]["start"] = now - 10
    events.append(fake.event("invoice.payment_failed", unpaid, created=now - 30))
    if state == "past_due":
        events.append(fake.event("customer.subscription.updated", sub, created=now - 29))
        return events, "premium"
    # The first invoice paid a period that ended before today.
    events[1] = fake.event(
        "invoice.paid",
        {**fake.invoice(sub["id"]), "lines": {"object": "list", "data": [
            {"period": {"start": now - 2 * PERIOD_SECONDS, "end": now - PERIOD_SECONDS}}]}},
        created=now - 49,
    )  # fmt: skip
    fake.subscription_update(sub["id"], status="canceled")
    events.append(fake.event("customer.subscription.deleted", sub, created=now - 20))
    return events, "free"


def burst(
    *,
    fake: FakeStripe,
    ports: Sequence[int],
    make_member: Callable[[str, str], None],
    plan_of: Callable[[str], str],
    check: Callable[[str, bool, str], bool],
    seed: int = 7,
) -> dict[str, Any]:
    """Run the burst; `make_member(email, customer_id)` creates a verified member whose Stripe
    customer that is, `plan_of(email)` reads the plan in force."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    expected: dict[str, str] = {}
    payloads: list[str] = []
    for n in range(MEMBERS):
        email = f"burst-{n}@faults.codeahead.invalid"
        customer = fake.new_id("cus")
        fake.customers[customer] = {"id": customer, "object": "customer", "email": email}
        make_member(email, customer)
        events, plan = scenario(fake, customer, STATES[n % len(STATES)])
        payloads.extend(events)
        expected[email] = plan
    duplicates = rng.sample(payloads, 200 - len(payloads))
    payloads.extend(duplicates)
    rng.shuffle(payloads)
    urls = [f"http://127.0.0.1:{port}/billing/stripe/webhook/" for port in ports]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(
            pool.map(lambda item: fake.deliver(item[1], url=urls[item[0] % len(urls)]),
                     enumerate(payloads))
        )  # fmt: skip
    seconds = time.monotonic() - started
    by_status = Counter(statuses)
    wrong = {email: (plan_of(email), plan) for email, plan in expected.items()
             if plan_of(email) != plan}  # fmt: skip
    check(
        "webhook burst: 200 signed events (duplicates, any order) on A and B at once, no 5xx",
        sum(n for status, n in by_status.items() if status >= 500) == 0,
        f"{dict(by_status)} in {seconds:.1f} s",
    )
    check(
        "webhook burst: every member's plan is what Stripe's final state gives",
        not wrong,
        f"{MEMBERS - len(wrong)} of {MEMBERS} right"
        + (f"; wrong: {dict(list(wrong.items())[:5])}" if wrong else ""),
    )
    return {
        "events": len(payloads),
        "duplicates": len(duplicates),
        "statuses": dict(by_status),
        "seconds": round(seconds, 2),
        "expected": dict(Counter(expected.values())),
        "checked_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
