"""Admin for training jobs with their events and epoch metrics."""

from django.contrib import admin

from training.models import EpochMetric, TrainingEvent, TrainingJob


class TrainingEventInline(admin.TabularInline):
    """The job's stored events."""

    model = TrainingEvent
    extra = 0
    readonly_fields = ("kind", "payload", "created_at")
    can_delete = False


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    """Jobs with status, progress and timing."""

    list_display = (
        "id",
        "pipeline",
        "owner",
        "status",
        "progress",
        "current_algorithm",
        "best_metric",
        "created_at",
        "completed_at",
    )
    list_filter = ("status",)
    search_fields = ("id", "pipeline__name", "owner__username", "error")
    raw_id_fields = ("pipeline",)
    readonly_fields = ("created_at", "started_at", "completed_at", "celery_task_id")
    inlines = [TrainingEventInline]


@admin.register(EpochMetric)
class EpochMetricAdmin(admin.ModelAdmin):
    """Per-epoch losses."""

    list_display = ("job", "algorithm", "epoch", "train_loss", "val_loss", "timestamp")
    list_filter = ("algorithm",)
    raw_id_fields = ("job",)
