"""Model configurations a user saves, and the registry of trained models (artifacts + cards)."""

from __future__ import annotations

from django.db import models

from pipelines.models import Pipeline
from vur.models import OwnedModel


class ModelConfig(OwnedModel):
    """An algorithm with hyperparameters and an optional search, saved for a pipeline."""

    class SearchMethod(models.TextChoices):
        NONE = "none"
        GRID = "grid"
        RANDOM = "random"
        BAYESIAN = "bayesian"

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="configs")
    algorithm = models.CharField(max_length=64)
    hyperparameters = models.JSONField(default=dict, blank=True)
    search = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.algorithm} for {self.pipeline_id}"


class TrainedModel(OwnedModel):
    """One fitted model: its artifact (a joblib file with sha256), model card and scores."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="trained_models")
    # The job lives downstream (training); keep its id, not a backwards foreign key.
    training_job_id = models.UUIDField(null=True, blank=True, db_index=True)
    problem_type = models.CharField(max_length=20)
    algorithm = models.CharField(max_length=64)
    hyperparameters = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    primary_metric = models.CharField(max_length=20)
    primary_value = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField(default=1)
    test_metrics = models.JSONField(default=dict, blank=True)
    confusion_matrix = models.JSONField(null=True, blank=True)
    classes = models.JSONField(null=True, blank=True)
    feature_importance = models.JSONField(default=list, blank=True)
    prediction_intervals = models.JSONField(null=True, blank=True)
    residual_analysis = models.JSONField(null=True, blank=True)
    epochs = models.JSONField(default=list, blank=True)
    input_schema = models.JSONField(default=dict, blank=True)
    card = models.JSONField(default=dict, blank=True)
    artifact = models.CharField(max_length=500, help_text="Storage key of the joblib file.")
    card_file = models.CharField(max_length=500, blank=True, default="")
    sha256 = models.CharField(max_length=64)
    model_size_mb = models.FloatField(default=0)
    inference_time_ms = models.FloatField(null=True, blank=True)
    fit_time_s = models.FloatField(null=True, blank=True)
    is_deployed = models.BooleanField(default=False)

    class Meta:
        ordering = ["pipeline_id", "training_job_id", "rank"]
        indexes = [models.Index(fields=["pipeline", "rank"])]

    def __str__(self) -> str:
        """How people know the model, as its page and the admin name it (`model_name`): "#3
        Ridge regression of pipeline Prices". Reads the pipeline: list it with the model
        (`select_related("pipeline")`, in the admin `list_select_related`)."""
        from modeling.templatetags.modeling_labels import model_name

        return model_name(self)
