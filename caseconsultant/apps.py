from django.apps import AppConfig


class CaseConsultantConfig(AppConfig):
    name = "caseconsultant"
    verbose_name = "CaseConsultant"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from caseconsultant import inbound  # noqa: F401 - connects the inbound-mail receiver
