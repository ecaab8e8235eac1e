from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every product shares: Markdown to sanitized HTML, the patient-identifier guard,
    background tasks (sending mail with retries) and the queue's health."""

    name = "common"
    verbose_name = "Shared helpers"
    default_auto_field = "django.db.models.BigAutoField"
