"""Admin for alerts and model references, the "run the checks now" action on trained models, and
people (whose deletes go through `vur.accounts.user_delete`).

Alerts and references are written by the system: no "add", nothing editable (a hand-edited
reference would corrupt drift detection; stored JSON is summarised and pretty-printed on demand),
and acknowledging or checking goes through the monitoring services.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from modeling.models import TrainedModel
from monitoring.models import Alert, ModelReference
from monitoring.services import alert_acknowledge, drift_detect, model_check
from predictions.admin import DeployableTrainedModelAdmin
from vur.accounts import user_delete, user_delete_refusal
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin, json_summary
from vur.errors import VURError


def reference_summary(data: Any) -> str:
    """ "tabular reference, 5 columns, version 3" for a stored monitoring reference."""
    if not isinstance(data, dict) or "kind" not in data:
        return json_summary(data)
    parts = [f"{data['kind']} reference"]
    if isinstance(data.get("columns"), (list, dict)):
        parts.append(f"{len(data['columns'])} columns")
    if "version" in data:
        parts.append(f"version {data['version']}")
    return ", ".join(parts)


@admin.register(Alert)
class AlertAdmin(ReadableJSONAdmin, admin.ModelAdmin):
    """Alerts raised by the periodic checks."""

    list_display = ("id", "kind", "severity", "model", "owner", "acknowledged", "created_at")
    list_filter = ("kind", "severity", "acknowledged")
    search_fields = ("message", "subject")
    list_select_related = ("model__pipeline", "owner")  # a model reads with its pipeline
    raw_id_fields = ("model",)
    readonly_fields = (
        "owner",
        "model",
        "kind",
        "subject",
        "severity",
        "message",
        "details",
        "created_at",
        "acknowledged",
        "acknowledged_at",
    )
    actions = ["acknowledge"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge(self, request, queryset) -> None:
        """Acknowledge each selected alert through the service (repeating changes nothing)."""
        count = 0
        for alert in queryset:
            alert_acknowledge(alert=alert)
            count += 1
        self.message_user(request, f"Acknowledged {count} alert(s).", messages.SUCCESS)


@admin.register(ModelReference)
class ModelReferenceAdmin(ReadableJSONAdmin, admin.ModelAdmin):
    """What each model's live traffic is compared against: built by training or from the
    dataset, never edited by hand (deleting one makes monitoring rebuild it)."""

    all_read_only = True

    list_display = ("model", "source", "created_at")
    list_select_related = ("model__pipeline",)  # a model reads with its pipeline
    json_summaries = {"data": reference_summary}

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(TrainedModel)


@admin.register(TrainedModel)
class MonitoredTrainedModelAdmin(DeployableTrainedModelAdmin):
    """The model registry with deploy/undeploy and "run the drift and monitoring checks now"."""

    actions = [*DeployableTrainedModelAdmin.actions, "run_checks_now"]

    @admin.action(description="Run the drift and monitoring checks now")
    def run_checks_now(self, request, queryset) -> None:
        """Run drift detection and every periodic check on each selected model; report both."""
        for model in queryset:
            try:
                drift = drift_detect(user=model.owner, model=model, window="24h")
                raised = model_check(model=model)
            except VURError as exc:
                self.message_user(request, f"Model {model.pk}: {exc.detail}", messages.WARNING)
                continue
            verdict = "detected" if drift["drift_detected"] else "not detected"
            drifted = ", ".join(drift["drifted_features"]) or "none"
            self.message_user(
                request,
                f"Model {model.pk}: drift {verdict} (drifted features: {drifted}); "
                f"{len(raised)} new alert(s).",
                messages.SUCCESS,
            )


# People: registered here, in the last stage's admin module (loaded after django.contrib.auth's),
# because deleting one deletes what they own in every stage.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class VURUserAdmin(ServiceDeleteAdmin, UserAdmin):
    """Django's user admin, with deletes through `user_delete`: refused while anything of the
    person's is deployed or running; their objects' stored files go with them."""

    def delete_refusal(self, obj: Any) -> str:
        """Why `user_delete` would refuse the account now ("" when it may go)."""
        return user_delete_refusal(user=obj)

    def delete_through_service(self, obj: Any) -> None:
        """Delete through `user_delete`."""
        user_delete(user=obj)
