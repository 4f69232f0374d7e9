"""Monitoring's own data: each model's reference (what live traffic is compared against) and
the alerts the periodic checks raise."""

from __future__ import annotations

from django.db import models

from modeling.models import TrainedModel
from vur.models import OwnedModel


class ModelReference(models.Model):
    """The reference of one trained model, read from its training-time file or rebuilt from its
    dataset on first use, kept here so monitoring reads it in one query."""

    class Source(models.TextChoices):
        TRAINING = "training"
        DATASET = "dataset"

    model = models.OneToOneField(TrainedModel, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reference of model {self.model_id} ({self.source})"


class Alert(OwnedModel):
    """A problem found by a periodic check; at most one open (unacknowledged) alert per model,
    kind and subject."""

    class Kind(models.TextChoices):
        DRIFT = "drift"
        PERFORMANCE = "performance"
        ERROR_RATE = "error_rate"
        COVERAGE = "coverage"
        JOB_FAILED = "job_failed"

    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    model = models.ForeignKey(
        TrainedModel, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What the alert is about within its kind: "model:<id>" or "job:<uuid>" (never empty).
    subject = models.CharField(max_length=80)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    acknowledged = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "subject"],
                condition=models.Q(acknowledged=False),
                name="one_open_alert_per_subject_and_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(acknowledged=False) | models.Q(acknowledged_at__isnull=False),
                name="acknowledged_alert_has_time",
            ),
        ]
        indexes = [models.Index(fields=["owner", "acknowledged", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.message[:40]}"
