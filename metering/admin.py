from django.contrib import admin
from django.http import HttpRequest

from metering.models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "views_per_period", "access")
    readonly_fields = ("slug",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the site knows plans by slug; the four rows come from a migration

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
