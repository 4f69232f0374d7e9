"""App configuration for the datasets stage."""

from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    """The datasets stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "datasets"
