"""Training jobs, their event log (log lines, progress, metrics, status) and per-epoch metrics."""

from __future__ import annotations

import uuid

from django.db import models

from pipelines.models import Pipeline
from vur.models import OwnedModel


class TrainingJob(OwnedModel):
    """One run of training for a pipeline; the record of truth for status and progress."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="training_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    config = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    estimated_time_remaining = models.FloatField(null=True, blank=True)
    current_epoch = models.PositiveIntegerField(null=True, blank=True)
    current_algorithm = models.CharField(max_length=64, blank=True, default="")
    best_metric = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=255, blank=True, default="")
    # When the task was last handed to the broker, and how many times the reaper re-sent it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_attempts = models.PositiveSmallIntegerField(default=0)
    # A running job beats every few seconds; a stale beat means its worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, default="", help_text="host:pid")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="training_progress_in_unit_interval",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="training_job_liveness")]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        """True once the job has completed, failed or been cancelled."""
        return self.status in self.TERMINAL


class TrainingEvent(models.Model):
    """One event of a job (log line, progress, metric, status); replayed to late clients."""

    class Kind(models.TextChoices):
        LOG = "log"
        PROGRESS = "progress"
        METRIC = "metric"
        STATUS = "status"

    job = models.ForeignKey(TrainingJob, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "id"])]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.pk} {self.kind}"


class EpochMetric(models.Model):
    """Train/validation loss and metrics of one epoch (or boosting stage) of one algorithm."""

    job = models.ForeignKey(TrainingJob, on_delete=models.CASCADE, related_name="epoch_metrics")
    algorithm = models.CharField(max_length=64)
    epoch = models.PositiveIntegerField()
    train_loss = models.FloatField(null=True, blank=True)
    val_loss = models.FloatField(null=True, blank=True)
    train_metrics = models.JSONField(default=dict, blank=True)
    val_metrics = models.JSONField(default=dict, blank=True)
    learning_rate = models.FloatField(null=True, blank=True)
    timestamp = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.algorithm} epoch {self.epoch}"
