"""App configuration for the monitoring stage."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The monitoring stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
