from django.apps import AppConfig


class CasePilotConfig(AppConfig):
    name = "casepilot"
    verbose_name = "CasePilot"
    default_auto_field = "django.db.models.BigAutoField"
