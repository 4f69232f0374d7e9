"""The Pipeline: one dataset on its way to a deployed model, with each stage's saved config."""

from __future__ import annotations

from django.db import models

from datasets.models import Dataset
from vur.models import OwnedModel

STEPS = ("upload", "preprocessing", "features", "model_selection", "training", "deployment")


class Pipeline(OwnedModel):
    """Dataset + target + problem type + each stage's config (the spine of the product)."""

    class ProblemType(models.TextChoices):
        CLASSIFICATION = "classification"
        REGRESSION = "regression"
        FORECASTING = "forecasting"

    class Status(models.TextChoices):
        DRAFT = "draft"
        CONFIGURED = "configured"
        TRAINING = "training"
        TRAINED = "trained"
        DEPLOYED = "deployed"
        FAILED = "failed"

    name = models.CharField(max_length=200)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="pipelines")
    target_column = models.CharField(max_length=255)
    problem_type = models.CharField(max_length=20, choices=ProblemType.choices)
    feature_columns = models.JSONField(default=list, blank=True)
    time_column = models.CharField(max_length=255, blank=True, default="")
    id_column = models.CharField(max_length=255, blank=True, default="")
    forecast_horizon = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    current_step = models.CharField(max_length=20, default="preprocessing")
    completed_steps = models.JSONField(default=list, blank=True)
    preprocessing_config = models.JSONField(default=dict, blank=True)
    feature_config = models.JSONField(default=dict, blank=True)
    model_configs = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    problem_type__in=["classification", "regression", "forecasting"]
                ),
                name="pipeline_problem_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
