"""Admin for model configs and trained models."""

from django.contrib import admin

from modeling.models import ModelConfig, TrainedModel


@admin.register(ModelConfig)
class ModelConfigAdmin(admin.ModelAdmin):
    """Saved algorithm configs."""

    list_display = ("algorithm", "pipeline", "owner", "created_at")
    search_fields = ("algorithm", "pipeline__name", "owner__username")
    raw_id_fields = ("pipeline",)


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    """The model registry: rank, score, size, whether deployed."""

    list_display = (
        "__str__",
        "pipeline",
        "owner",
        "algorithm",
        "primary_metric",
        "primary_value",
        "rank",
        "is_deployed",
        "model_size_mb",
        "created_at",
    )
    list_filter = ("problem_type", "algorithm", "is_deployed")
    search_fields = ("algorithm", "pipeline__name", "owner__username", "sha256")
    raw_id_fields = ("pipeline",)
    readonly_fields = ("sha256", "artifact", "card_file", "card", "created_at")
