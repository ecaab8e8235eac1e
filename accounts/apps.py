from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's app is "Accounts" in the admin too (email addresses): ours holds the users.
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
