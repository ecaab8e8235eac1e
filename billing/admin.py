from django.contrib import admin
from django.http import HttpRequest

from billing.models import BillingAccount, StripeEvent


class ReadOnly(admin.ModelAdmin):
    """What Stripe told us: a record, not something to edit here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnly):
    list_display = ("account", "customer_id", "subscription_id", "status", "current_period_end",
                    "cancel_at_period_end", "paid_through", "synced_at")  # fmt: skip
    list_filter = ("status", "cancel_at_period_end")
    list_select_related = ("account",)
    search_fields = ("account__email", "customer_id", "subscription_id")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnly):
    list_display = ("event_id", "type", "created", "received_at", "customer_id", "outcome", "note")
    list_filter = ("type", "outcome")
    search_fields = ("event_id", "customer_id")
    date_hierarchy = "received_at"
