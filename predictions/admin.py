"""Admin for deployments, prediction records and batch jobs, and the deploy/undeploy actions on
trained models. Every state change goes through the predictions services, deletes included
(refused while a deployment is active or a batch job runs; stored files go after the commit);
stored JSON is read-only, summarised and pretty-printed on demand."""

from django.contrib import admin, messages

from modeling.admin import TrainedModelAdmin
from modeling.models import TrainedModel
from predictions.models import (
    BatchJob,
    Deployment,
    ForecastActual,
    ForecastState,
    PredictionRecord,
)
from predictions.services import (
    batch_job_delete,
    batch_job_delete_refusal,
    deployment_create,
    deployment_delete,
    deployment_delete_refusal,
    deployment_undeploy,
)
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin
from vur.errors import VURError


class _SystemWritten:
    """Records only the system creates: nobody adds them by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _deploy(modeladmin, request, queryset, target: str) -> None:
    done = 0
    for model in queryset:
        try:
            deployment_create(owner=model.owner, model=model, target=target)
            done += 1
        except VURError as exc:
            modeladmin.message_user(request, f"{model}: {exc.detail}", messages.WARNING)
    if done:
        modeladmin.message_user(
            request, f"Deployed {done} model(s) for {target}.", messages.SUCCESS
        )


class DeploymentInline(_SystemWritten, admin.TabularInline):
    """A model's deployments, newest first (history)."""

    model = Deployment
    extra = 0
    fields = ("target", "status", "endpoint_url", "deployed_at", "undeployed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        """Each row reads as its deployment, which names its model and the model's pipeline."""
        return super().get_queryset(request).select_related("model__pipeline")


admin.site.unregister(TrainedModel)


@admin.register(TrainedModel)
class DeployableTrainedModelAdmin(_SystemWritten, TrainedModelAdmin):
    """The model registry with deploy/undeploy actions (registered here: deploying lives in
    predictions, downstream of modeling)."""

    inlines = [*getattr(TrainedModelAdmin, "inlines", []), DeploymentInline]
    actions = [
        *(getattr(TrainedModelAdmin, "actions", None) or []),
        "deploy_api",
        "deploy_realtime",
        "deploy_batch",
        "undeploy",
    ]

    @admin.action(description="Deploy for the REST API")
    def deploy_api(self, request, queryset) -> None:
        """Deploy each selected model for the REST API (already deployed ones stay as they are)."""
        _deploy(self, request, queryset, "api")

    @admin.action(description="Deploy for the realtime WebSocket stream")
    def deploy_realtime(self, request, queryset) -> None:
        """Deploy each selected model for the realtime stream."""
        _deploy(self, request, queryset, "realtime")

    @admin.action(description="Deploy for batch scoring")
    def deploy_batch(self, request, queryset) -> None:
        """Deploy each selected model for batch files."""
        _deploy(self, request, queryset, "batch")

    @admin.action(description="Undeploy (stop every active deployment)")
    def undeploy(self, request, queryset) -> None:
        """Take every active deployment of the selected models out of service."""
        active = Deployment.objects.filter(model__in=queryset, status=Deployment.Status.ACTIVE)
        count = 0
        for deployment in active.select_related("model"):
            deployment_undeploy(deployment=deployment)
            count += 1
        self.message_user(request, f"Stopped {count} deployment(s).", messages.SUCCESS)


@admin.register(Deployment)
class DeploymentAdmin(_SystemWritten, ServiceDeleteAdmin):
    """Deployments and their state; "undeploy" goes through the service."""

    list_display = (
        "id",
        "model",
        "owner",
        "target",
        "status",
        "endpoint_url",
        "deployed_at",
        "undeployed_at",
    )
    list_filter = ("target", "status", "model__problem_type")
    search_fields = ("model__algorithm", "model__pipeline__name", "owner__username")
    list_select_related = ("model__pipeline", "owner")  # a model reads with its pipeline
    date_hierarchy = "deployed_at"
    readonly_fields = (
        "model",
        "owner",
        "target",
        "status",
        "endpoint_url",
        "deployed_at",
        "undeployed_at",
        "created_at",
        "updated_at",
    )
    actions = ["undeploy"]

    @admin.action(description="Undeploy the selected deployments")
    def undeploy(self, request, queryset) -> None:
        """Take the selected deployments out of service (repeating does nothing)."""
        count = 0
        for deployment in queryset.select_related("model"):
            deployment_undeploy(deployment=deployment)
            count += 1
        self.message_user(request, f"Stopped {count} deployment(s).", messages.SUCCESS)

    def delete_refusal(self, obj: Deployment) -> str:
        """Why `deployment_delete` would refuse now (the deployment is active)."""
        return deployment_delete_refusal(deployment=obj)

    def delete_through_service(self, obj: Deployment) -> None:
        """Delete an inactive deployment through `deployment_delete`."""
        deployment_delete(deployment=obj)


@admin.register(PredictionRecord)
class PredictionRecordAdmin(ReadableJSONAdmin, _SystemWritten, admin.ModelAdmin):
    """Served predictions, with feedback when given; read-only."""

    all_read_only = True

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
    list_filter = ("source", "created_at")
    search_fields = ("id", "model__algorithm", "owner__username")
    list_select_related = ("model__pipeline", "owner")  # a model reads with its pipeline
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BatchJob)
class BatchJobAdmin(ReadableJSONAdmin, _SystemWritten, ServiceDeleteAdmin):
    """Batch scoring jobs with progress; read-only. Deleted through `batch_job_delete`."""

    all_read_only = True

    list_display = (
        "id",
        "input_filename",
        "model",
        "owner",
        "status",
        "progress",
        "rows_done",
        "rows_total",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "input_format")
    search_fields = ("id", "model__algorithm", "owner__username", "error")
    list_select_related = ("model__pipeline", "owner")  # a model reads with its pipeline
    date_hierarchy = "created_at"

    @admin.display(description="file")
    def input_filename(self, obj: BatchJob) -> str:
        """The scored file's own name."""
        return obj.input_filename

    def delete_refusal(self, obj: BatchJob) -> str:
        """Why `batch_job_delete` would refuse now (the job is queued or running)."""
        return batch_job_delete_refusal(job=obj)

    def delete_through_service(self, obj: BatchJob) -> None:
        """Delete through `batch_job_delete` (input and result files after commit)."""
        batch_job_delete(job=obj)


@admin.register(ForecastActual)
class ForecastActualAdmin(_SystemWritten, admin.ModelAdmin):
    """Observed values of forecast series (feedback and live observations); read-only."""

    list_display = ("model", "series_id", "timestamp", "value", "owner", "updated_at")
    list_filter = ("created_at",)
    search_fields = ("model__algorithm", "series_id", "owner__username")
    list_select_related = ("model__pipeline", "owner")  # a model reads with its pipeline
    date_hierarchy = "timestamp"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ForecastState)
class ForecastStateAdmin(ReadableJSONAdmin, _SystemWritten, admin.ModelAdmin):
    """Live forecast state per deployment and series (what observations advanced); read-only.
    Deleting a row makes that series start again from the trained history."""

    all_read_only = True

    list_display = ("deployment", "series_id", "updated_through", "n_observations", "version")
    search_fields = ("series_id", "deployment__model__algorithm")
    list_select_related = ("deployment__model__pipeline",)  # a deployment reads as its model

    def has_change_permission(self, request, obj=None) -> bool:
        return False
