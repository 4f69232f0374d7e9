"""Admin for pipelines: where each stands; stage configs are read-only (the wizard and the API
validate them), and pipelines are only created through the checks of `pipeline_create`."""

from django.contrib import admin

from pipelines import services
from pipelines.models import Pipeline
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin


@admin.register(Pipeline)
class PipelineAdmin(ReadableJSONAdmin, ServiceDeleteAdmin):
    """Pipelines with their dataset, target and progress; only the name is editable. Deletes go
    through `pipeline_delete`: refused while in use, the stored files removed after commit."""

    list_display = (
        "name",
        "owner",
        "dataset",
        "target_column",
        "problem_type",
        "status",
        "current_step",
        "steps_done",
        "updated_at",
    )
    list_filter = ("problem_type", "status", "current_step", "created_at")
    search_fields = ("name", "target_column", "owner__username", "dataset__name")
    list_select_related = ("owner", "dataset")
    date_hierarchy = "created_at"
    readonly_fields = (
        "owner",
        "dataset",
        "target_column",
        "problem_type",
        "feature_columns",
        "time_column",
        "id_column",
        "forecast_horizon",
        "status",
        "current_step",
        "completed_steps",
        "preprocessing_config",
        "feature_config",
        "model_configs",
        "created_at",
        "updated_at",
    )

    @admin.display(description="steps done")
    def steps_done(self, obj: Pipeline) -> str:
        """The completed stages, in order."""
        return ", ".join(obj.completed_steps or []) or "-"

    def view_on_site(self, obj: Pipeline) -> str:
        """The pipeline's wizard in the web UI."""
        return f"/pipelines/{obj.pk}/"

    def has_add_permission(self, request) -> bool:
        """Pipelines are created from a dataset in the wizard or the API, which check columns."""
        return False

    def delete_refusal(self, obj: Pipeline) -> str:
        """Why `pipeline_delete` would refuse the pipeline now ("" when it may go)."""
        return services.pipeline_delete_refusal(pipeline=obj)

    def delete_through_service(self, obj: Pipeline) -> None:
        """Delete through `pipeline_delete` (its jobs, models and files after commit)."""
        services.pipeline_delete(pipeline=obj)
