"""Admin for model configs and trained models. Both are written by services (configs validated
against the catalogue, models registered by training with their hashed artifacts), so neither
can be added here and their computed fields are read-only."""

from django.contrib import admin

from modeling.models import ModelConfig, TrainedModel


@admin.register(ModelConfig)
class ModelConfigAdmin(admin.ModelAdmin):
    """Saved algorithm configs (read-only: the catalogue validated them)."""

    list_display = ("algorithm", "pipeline", "owner", "search_method", "created_at")
    list_filter = ("algorithm", "created_at")
    search_fields = ("algorithm", "pipeline__name", "owner__username")
    list_select_related = ("pipeline", "owner")
    readonly_fields = (
        "owner",
        "pipeline",
        "algorithm",
        "hyperparameters",
        "search",
        "created_at",
        "updated_at",
    )

    @admin.display(description="search")
    def search_method(self, obj: ModelConfig) -> str:
        """The hyperparameter search asked for, if any."""
        return (obj.search or {}).get("method") or "none"

    def has_add_permission(self, request) -> bool:
        """Configs are saved by the wizard or `models/configure`, which validate them."""
        return False


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    """The model registry: rank, score, size, whether deployed; everything is computed."""

    list_display = (
        "__str__",
        "pipeline",
        "owner",
        "algorithm",
        "problem_type",
        "primary_metric",
        "primary_value",
        "rank",
        "is_deployed",
        "model_size_mb",
        "inference_time_ms",
        "created_at",
    )
    list_filter = ("problem_type", "algorithm", "is_deployed", "primary_metric", "created_at")
    search_fields = ("algorithm", "pipeline__name", "owner__username", "sha256")
    list_select_related = ("pipeline", "owner")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        """Every field: metrics, hashes and artifacts come from the training run."""
        return [f.name for f in self.model._meta.fields]

    def view_on_site(self, obj: TrainedModel) -> str:
        """The model's page in the web UI."""
        return f"/models/{obj.pk}/"

    def has_add_permission(self, request) -> bool:
        """Trained models are registered by training jobs only."""
        return False
