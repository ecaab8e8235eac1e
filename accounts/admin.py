from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import User
from metering.plans import plan_change_record


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ("email",)
    list_display = ("email", "plan", "plan_ends_on", "is_staff", "is_active", "date_joined")
    list_filter = ("plan", "is_staff", "is_superuser", "is_active")
    list_select_related = ("plan",)
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("meter_key",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Plan", {"fields": ("plan", "plan_ends_on", "meter_key")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "plan", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """An editor's change of plan is recorded with who made it, as billing's are."""
        if not change or not {"plan", "plan_ends_on"} & set(form.changed_data):
            super().save_model(request, obj, form, change)
            return
        before = User.objects.select_related(None).only("plan", "plan_ends_on").get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        plan_change_record(
            account_id=obj.pk,
            from_plan_id=before.plan_id,
            from_ends_on=before.plan_ends_on,
            to_plan_id=obj.plan_id,
            to_ends_on=obj.plan_ends_on,
            cause=f"admin: {request.user}",
        )
