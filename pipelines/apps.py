"""App configuration for the pipelines stage."""

from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    """The pipelines stage of the VUR pipeline."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pipelines"

    def ready(self) -> None:
        from pipelines import receivers  # noqa: F401  (connects the deletion receivers)
