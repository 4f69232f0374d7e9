"""Admin for model configs and trained models. Both are written by services (configs validated
against the catalogue, models registered by training with their hashed artifacts), so neither
can be added here and every field is read-only (stored JSON summarised, pretty-printed on
demand). A trained model is deleted through `trained_model_delete`: refused while deployed or
scored by a running batch job; its files go and its pipeline's status follows."""

from typing import Any

from django.contrib import admin

from modeling import services
from modeling.models import ModelConfig, TrainedModel
from modeling.templatetags.modeling_labels import algorithm_label
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin, json_summary


def importance_summary(items: Any) -> str:
    """ "40 features; top: a (0.31), b (0.12), c (0.05)" for a list of feature importances."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return json_summary(items)
    ranked = sorted(items, key=lambda i: -abs(i.get("importance") or 0))
    top = ", ".join(f"{i.get('feature')} ({(i.get('importance') or 0):.3g})" for i in ranked[:3])
    return f"{len(items)} features; top: {top}"


def schema_summary(schema: Any) -> str:
    """ "5 input columns: a (numeric), b (categorical), …" for a model's input schema."""
    columns = schema.get("columns") if isinstance(schema, dict) else None
    if not isinstance(columns, list):
        return json_summary(schema)
    kinds = [(c.get("name"), c.get("semantic_type") or c.get("dtype") or "?") for c in columns]
    names = [f"{name} ({kind})" for name, kind in kinds]
    head = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    return f"{len(columns)} input columns: {head}"


def epochs_summary(epochs: Any) -> str:
    """ "12 epochs" for the per-epoch history of an iterative model."""
    return f"{len(epochs)} epochs" if isinstance(epochs, list) else json_summary(epochs)


@admin.register(ModelConfig)
class ModelConfigAdmin(ReadableJSONAdmin, admin.ModelAdmin):
    """Saved algorithm configs (read-only: the catalogue validated them)."""

    list_display = ("algorithm_name", "pipeline", "owner", "search_method", "created_at")
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

    @admin.display(description="algorithm", ordering="algorithm")
    def algorithm_name(self, obj: ModelConfig) -> str:
        """The algorithm as people know it for the pipeline's problem type ("Ridge regression");
        the key ("linear") stays in the filter and the search."""
        return algorithm_label(obj.algorithm, obj.pipeline.problem_type)

    @admin.display(description="search")
    def search_method(self, obj: ModelConfig) -> str:
        """The hyperparameter search asked for, if any."""
        return (obj.search or {}).get("method") or "none"

    def has_add_permission(self, request) -> bool:
        """Configs are saved by the wizard or `models/configure`, which validate them."""
        return False


@admin.register(TrainedModel)
class TrainedModelAdmin(ReadableJSONAdmin, ServiceDeleteAdmin):
    """The model registry: rank, score, size, whether deployed; everything is computed."""

    all_read_only = True

    json_summaries = {
        "feature_importance": importance_summary,
        "input_schema": schema_summary,
        "epochs": epochs_summary,
    }

    list_display = (
        "__str__",
        "pipeline",
        "owner",
        "algorithm_name",
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

    @admin.display(description="algorithm", ordering="algorithm")
    def algorithm_name(self, obj: TrainedModel) -> str:
        """The algorithm as people know it for the model's problem type ("Ridge regression");
        the key ("linear") stays in the filter and the search."""
        return algorithm_label(obj.algorithm, obj.problem_type)

    def view_on_site(self, obj: TrainedModel) -> str:
        """The model's page in the web UI."""
        return f"/models/{obj.pk}/"

    def has_add_permission(self, request) -> bool:
        """Trained models are registered by training jobs only."""
        return False

    def delete_refusal(self, obj: TrainedModel) -> str:
        """Why `trained_model_delete` would refuse the model now ("" when it may go)."""
        return services.trained_model_delete_refusal(model=obj)

    def delete_through_service(self, obj: TrainedModel) -> None:
        """Delete through `trained_model_delete` (files after commit, pipeline status)."""
        services.trained_model_delete(model=obj)
