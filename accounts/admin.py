from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import User


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
