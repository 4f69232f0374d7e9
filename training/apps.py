"""App configuration for the training stage."""

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """The training stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "training"

    def ready(self) -> None:
        from training import receivers  # noqa: F401  (connects the deletion receivers)
