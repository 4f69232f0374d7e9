"""Admin for pipelines."""

from django.contrib import admin

from pipelines.models import Pipeline


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    """Pipelines with their dataset, target and where they stand."""

    list_display = (
        "name",
        "owner",
        "dataset",
        "target_column",
        "problem_type",
        "status",
        "current_step",
        "updated_at",
    )
    list_filter = ("problem_type", "status")
    search_fields = ("name", "target_column", "owner__username", "dataset__name")
    raw_id_fields = ("dataset",)
