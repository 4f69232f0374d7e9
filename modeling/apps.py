"""App configuration for the modeling stage."""

from django.apps import AppConfig


class ModelingConfig(AppConfig):
    """The modeling stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "modeling"
