"""App configuration for the predictions stage."""

from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    """The predictions stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "predictions"

    def ready(self) -> None:
        from predictions import receivers  # noqa: F401  (connects the deletion receivers)
