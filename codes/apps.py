from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "codes"
    verbose_name = "Codes and content"
    default_auto_field = "django.db.models.BigAutoField"
