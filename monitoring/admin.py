"""Admin for alerts and model references."""

from django.contrib import admin

from monitoring.models import Alert, ModelReference


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts raised by the periodic checks."""

    list_display = ("id", "kind", "severity", "model", "owner", "acknowledged", "created_at")
    list_filter = ("kind", "severity", "acknowledged")
    search_fields = ("message", "subject")
    raw_id_fields = ("model",)


@admin.register(ModelReference)
class ModelReferenceAdmin(admin.ModelAdmin):
    """What each model's live traffic is compared against."""

    list_display = ("model", "source", "created_at")
    raw_id_fields = ("model",)
