from django.apps import AppConfig


class CareerCenterConfig(AppConfig):
    name = "careercenter"
    verbose_name = "CareerCenter"
    default_auto_field = "django.db.models.BigAutoField"
