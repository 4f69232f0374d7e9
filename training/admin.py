"""Admin for training jobs with their events and epoch metrics.

Jobs, events and metrics are written by the system only: no "add", every field read-only
(stored JSON summarised, pretty-printed on demand), and cancelling and deleting go through the
training services (a queued or running job is not deleted).
"""

from django.contrib import admin, messages
from django.utils.safestring import SafeString

from modeling.templatetags.modeling_labels import algorithm_label
from training.models import EpochMetric, TrainingEvent, TrainingJob
from training.services import (
    training_job_cancel,
    training_job_delete,
    training_job_delete_refusal,
)
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin, json_block
from vur.errors import VURError


class _SystemWritten:
    """Records only the system creates: nobody adds them by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TrainingEventInline(_SystemWritten, admin.TabularInline):
    """The job's stored events, in order."""

    model = TrainingEvent
    extra = 0
    fields = ("kind", "data", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    @admin.display(description="payload")
    def data(self, obj: TrainingEvent) -> SafeString | str:
        """The event's payload, summarised and pretty-printed on demand."""
        return json_block(obj.payload)


class EpochMetricInline(_SystemWritten, admin.TabularInline):
    """Per-epoch losses of the job's iterative algorithms."""

    model = EpochMetric
    extra = 0
    fields = ("algorithm", "epoch", "train_loss", "val_loss", "learning_rate", "timestamp")
    readonly_fields = fields
    can_delete = False


@admin.register(TrainingJob)
class TrainingJobAdmin(ReadableJSONAdmin, _SystemWritten, ServiceDeleteAdmin):
    """Jobs with status, progress and timing; the "cancel" action asks running jobs to stop."""

    all_read_only = True

    list_display = (
        "id",
        "pipeline",
        "owner",
        "status",
        "progress",
        "current_algorithm_name",
        "best_metric",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "pipeline__problem_type", "created_at")
    search_fields = ("id", "pipeline__name", "owner__username", "error")
    date_hierarchy = "created_at"
    list_select_related = ("pipeline", "owner")
    inlines = [EpochMetricInline, TrainingEventInline]
    actions = ["cancel_jobs"]

    @admin.display(description="current algorithm", ordering="current_algorithm")
    def current_algorithm_name(self, obj: TrainingJob) -> str | None:
        """The algorithm being trained as people know it for the pipeline's problem type
        ("Ridge regression"); None (shown as "-") before the first one."""
        if not obj.current_algorithm:
            return None
        return algorithm_label(obj.current_algorithm, obj.pipeline.problem_type)

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request, queryset) -> None:
        """Ask each selected job to stop through the training service."""
        done, refused = 0, []
        for job in queryset:
            try:
                training_job_cancel(job=job)
                done += 1
            except VURError as exc:
                refused.append(f"{job.pk}: {exc.detail}")
        if done:
            self.message_user(request, f"Cancel requested for {done} job(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    def delete_refusal(self, obj: TrainingJob) -> str:
        """Why `training_job_delete` would refuse now (the job is queued or running)."""
        return training_job_delete_refusal(job=obj)

    def delete_through_service(self, obj: TrainingJob) -> None:
        """Delete through `training_job_delete` (its models stay)."""
        training_job_delete(job=obj)


@admin.register(TrainingEvent)
class TrainingEventAdmin(ReadableJSONAdmin, _SystemWritten, admin.ModelAdmin):
    """Stored job events (log lines, progress, metrics, status), read-only."""

    list_display = ("job", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("job__id", "job__pipeline__name")
    readonly_fields = ("job", "kind", "payload", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EpochMetric)
class EpochMetricAdmin(ReadableJSONAdmin, _SystemWritten, admin.ModelAdmin):
    """Per-epoch losses, read-only."""

    list_display = ("job", "algorithm_name", "epoch", "train_loss", "val_loss", "timestamp")
    list_filter = ("algorithm",)
    search_fields = ("job__id", "algorithm")
    list_select_related = ("job__pipeline",)
    readonly_fields = (
        "job",
        "algorithm",
        "epoch",
        "train_loss",
        "val_loss",
        "train_metrics",
        "val_metrics",
        "learning_rate",
        "timestamp",
    )

    @admin.display(description="algorithm", ordering="algorithm")
    def algorithm_name(self, obj: EpochMetric) -> str:
        """The algorithm as people know it for the job's problem type ("Linear regression
        (SGD)"); the key ("sgd") stays in the filter and the search."""
        return algorithm_label(obj.algorithm, obj.job.pipeline.problem_type)

    def has_change_permission(self, request, obj=None) -> bool:
        return False
