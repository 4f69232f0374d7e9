"""Admin for deployments, prediction records and batch jobs."""

from django.contrib import admin

from predictions.models import BatchJob, Deployment, PredictionRecord


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    """Deployments and their state."""

    list_display = ("model", "owner", "target", "status", "endpoint_url", "deployed_at")
    list_filter = ("target", "status")
    raw_id_fields = ("model",)


@admin.register(PredictionRecord)
class PredictionRecordAdmin(admin.ModelAdmin):
    """Served predictions, with feedback when given."""

    list_display = (
        "id",
        "model",
        "owner",
        "source",
        "prediction",
        "actual",
        "latency_ms",
        "created_at",
    )
    list_filter = ("source",)
    raw_id_fields = ("model",)
    date_hierarchy = "created_at"


@admin.register(BatchJob)
class BatchJobAdmin(admin.ModelAdmin):
    """Batch scoring jobs with progress."""

    list_display = (
        "id",
        "model",
        "owner",
        "status",
        "progress",
        "rows_done",
        "rows_total",
        "created_at",
    )
    list_filter = ("status",)
    raw_id_fields = ("model",)
