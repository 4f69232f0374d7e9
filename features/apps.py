"""App configuration for the features stage."""

from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    """The features stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "features"
