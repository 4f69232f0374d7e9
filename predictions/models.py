"""Deployments, logged predictions (with feedback) and batch scoring jobs."""

from __future__ import annotations

import uuid

from django.db import models

from modeling.models import TrainedModel
from vur.models import OwnedModel


class Deployment(OwnedModel):
    """A trained model put into service for the API, batch scoring or the realtime stream."""

    class Target(models.TextChoices):
        API = "api"
        BATCH = "batch"
        REALTIME = "realtime"

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="deployments")
    target = models.CharField(max_length=10, choices=Target.choices, default=Target.API)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    endpoint_url = models.CharField(max_length=300, blank=True, default="")
    deployed_at = models.DateTimeField(auto_now_add=True)
    undeployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deployed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "target"],
                condition=models.Q(status="active"),
                name="one_active_deployment_per_model_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} -> {self.target} ({self.status})"


class PredictionRecord(OwnedModel):
    """One served prediction (REST or WebSocket), kept for monitoring and ground-truth feedback.

    A failed request is a record with an `error_code` and no prediction; a batch job writes one
    record per chunk (`row_count` rows) holding summaries instead of rows.
    """

    class Source(models.TextChoices):
        API = "api"
        WEBSOCKET = "websocket"
        FORECAST = "forecast"
        BATCH = "batch"

    class Channel(models.TextChoices):
        REST = "rest"
        WEBSOCKET = "websocket"
        BATCH = "batch"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="predictions")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    inputs = models.JSONField(default=dict)
    prediction = models.JSONField(null=True)
    probabilities = models.JSONField(null=True, blank=True)
    latency_ms = models.FloatField(default=0)
    actual = models.JSONField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.REST)
    error_code = models.CharField(max_length=64, blank=True, default="")
    row_count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["model", "created_at"]),
            models.Index(fields=["model", "feedback_at"], name="prediction_feedback_time"),
        ]

    def __str__(self) -> str:
        outcome = f"failed: {self.error_code}" if self.error_code else self.source
        return f"prediction {self.pk} of model {self.model_id} ({outcome})"


class PredictionRollup(models.Model):
    """Per model, channel and time bucket (5 minutes, 1 hour, 1 day): counts, errors, a latency
    histogram and feedback sums. Written with each flush of the prediction log and with each
    feedback, so monitoring reads a few rows per window instead of every prediction."""

    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="rollups")
    resolution = models.PositiveIntegerField(help_text="Bucket length in seconds.")
    bucket = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=PredictionRecord.Channel.choices)
    count = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    latency_count = models.BigIntegerField(default=0)
    latency_sum_ms = models.FloatField(default=0)
    # Sparse log-spaced histogram: {bucket index: count}; see predictions.logbook.LATENCY_EDGES.
    latency_hist = models.JSONField(default=dict)
    feedback_count = models.BigIntegerField(default=0)
    correct_count = models.BigIntegerField(default=0)
    abs_error_sum = models.FloatField(default=0)
    sq_error_sum = models.FloatField(default=0)
    # Classifiers: {label: {tp, fp, fn, pos: {bin: n}, neg: {bin: n}}} from feedback, where
    # pos/neg histogram the label's probability (100 bins) when it was / was not the actual.
    class_stats = models.JSONField(default=dict)

    class Meta:
        ordering = ["model", "resolution", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "resolution", "bucket", "channel"], name="one_rollup_per_bucket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.channel} {self.bucket:%Y-%m-%d %H:%M} ({self.resolution}s)"


def batch_upload_to(instance: BatchJob, filename: str) -> str:
    """Storage key of a batch input file, under the job's own folder."""
    return f"batch/{instance.owner_id}/{instance.id}/input-{filename}"


class BatchJob(OwnedModel):
    """Scoring of an uploaded file with a deployed model, in a Celery task, chunk by chunk."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="batch_jobs")
    input_file = models.FileField(upload_to=batch_upload_to, max_length=500)
    input_format = models.CharField(max_length=10, default="csv")
    # What the result holds besides `prediction`: {"columns": [input columns to copy] or absent
    # for all of them, "probabilities": bool}.
    output = models.JSONField(default=dict, blank=True)
    result_file = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    rows_total = models.BigIntegerField(null=True, blank=True)
    rows_done = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
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
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="batch_job_liveness")]

    def __str__(self) -> str:
        return f"{self.input_filename or 'batch job'} scored by {self.model} ({self.status})"

    @property
    def input_filename(self) -> str:
        """The uploaded file's own name, without the storage folder and the "input-" prefix."""
        name = (self.input_file.name or "").rsplit("/", 1)[-1]
        return name.removeprefix("input-")


class ForecastActual(OwnedModel):
    """An observed value of a forecast model's series at one timestamp (feedback or a live
    observation), matched by monitoring to every forecast made for that timestamp."""

    model = models.ForeignKey(
        TrainedModel, on_delete=models.CASCADE, related_name="forecast_actuals"
    )
    series_id = models.CharField(max_length=200, blank=True, default="")
    timestamp = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["model", "series_id", "timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "series_id", "timestamp"], name="one_actual_per_model_series_time"
            ),
        ]

    def __str__(self) -> str:
        series = f"series {self.series_id}" if self.series_id else "the series"
        return f"{series} of model {self.model_id} at {self.timestamp:%Y-%m-%d %H:%M}: {self.value}"


class ForecastState(models.Model):
    """The live state of one series of a deployed forecaster: the fitted model advanced through
    the observations received since deployment (the stored model file never changes)."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="forecast_states"
    )
    series_id = models.CharField(max_length=200, blank=True, default="")
    state = models.JSONField(default=dict)
    updated_through = models.DateTimeField()
    n_observations = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "series_id"], name="one_state_per_deployment_series"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}/{self.series_id or '-'} through {self.updated_through}"
