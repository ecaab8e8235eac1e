from django.contrib import admin
from django.http import HttpRequest

from metering.models import Plan, PlanChange


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "views_per_period", "access")
    readonly_fields = ("slug",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the site knows plans by slug; the four rows come from a migration

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PlanChange)
class PlanChangeAdmin(admin.ModelAdmin):
    """Every change of an account's plan, with its cause: read-only history."""

    list_display = ("changed_at", "account", "from_plan", "from_ends_on", "to_plan", "to_ends_on",
                    "cause")  # fmt: skip
    list_filter = ("to_plan", "changed_at")
    list_select_related = ("account", "from_plan", "to_plan")
    search_fields = ("account__email", "cause")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
