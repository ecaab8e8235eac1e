"""What CodeAhead keeps of Stripe: which customer an account is, the state of its subscription
as Stripe last told us, and every webhook event it sent, so each is processed once.

No card data: payment details live at Stripe (Checkout and the customer portal are Stripe's
pages)."""

from typing import ClassVar

from django.conf import settings
from django.db import models


class BillingAccount(models.Model):
    """An account's Stripe customer and subscription. Created the first time the account starts
    a checkout; the customer is reused for every later checkout and the portal."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing"
    )
    customer_id = models.CharField(max_length=255, unique=True, help_text="Stripe's cus_… id.")
    subscription_id = models.CharField(max_length=255, blank=True, help_text="Stripe's sub_… id.")
    status = models.CharField(
        max_length=32, blank=True, help_text="The subscription's status as Stripe last reported it."
    )
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    paid_through = models.DateTimeField(
        null=True, blank=True, help_text="End of the last period an invoice was paid for."
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-synced_at",)
        indexes: ClassVar = [
            # Webhooks find the account by its subscription.
            models.Index(fields=("subscription_id",), name="billing_account_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.status or 'no subscription'})"


class StripeEvent(models.Model):
    """A webhook event Stripe sent. Stored in the transaction that applies it, so an event is
    applied once: a retried or replayed one finds its id here and changes nothing."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (not about a customer of ours, or not a type we use)"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    received_at = models.DateTimeField(auto_now_add=True)
    customer_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-received_at", "-id")
        indexes: ClassVar = [
            # The admin's list of one customer's events.
            models.Index(fields=("customer_id", "-created"), name="billing_event_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
