"""App configuration for the preprocessing stage."""

from django.apps import AppConfig


class PreprocessingConfig(AppConfig):
    """The preprocessing stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "preprocessing"
