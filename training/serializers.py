"""Training serializers: the start request in, jobs, events and epoch metrics out."""

from __future__ import annotations

from rest_framework import serializers

from training.models import EpochMetric, TrainingEvent, TrainingJob
from vur.params import choice_filter, id_field, id_filter


class TrainingStartSerializer(serializers.Serializer):
    """Body of `training/start`."""

    pipeline_id = id_field()
    model_config = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="A saved config id or {algorithm, hyperparameters}.",
    )
    # "auto" is a JSON value; the stubs only allow mappings as a JSONField default.
    algorithms = serializers.JSONField(
        required=False,
        default="auto",  # type: ignore[arg-type]
        help_text='"auto" or a list',
    )
    training_config = serializers.DictField(required=False, default=dict)
    validation_split = serializers.FloatField(min_value=0.05, max_value=0.5, default=0.2)
    cross_validation = serializers.BooleanField(default=False)
    cv_folds = serializers.IntegerField(min_value=2, max_value=20, default=5)
    early_stopping = serializers.BooleanField(default=True)
    max_epochs = serializers.IntegerField(min_value=1, max_value=10_000, default=100)
    time_budget_s = serializers.FloatField(min_value=1, max_value=86_400, required=False)
    random_state = serializers.IntegerField(min_value=0, required=False, default=0)

    def validate_algorithms(self, value):
        if value == "auto":
            return value
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise serializers.ValidationError('Must be "auto" or a non-empty list of names.')
        return list(dict.fromkeys(value))

    def validate_model_config(self, value):
        if value is None or isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, dict) and isinstance(value.get("algorithm"), str):
            extra = set(value) - {"algorithm", "hyperparameters", "search"}
            if extra:
                raise serializers.ValidationError(f"Unknown keys: {', '.join(sorted(extra))}.")
            if not isinstance(value.get("hyperparameters", {}), dict):
                raise serializers.ValidationError("hyperparameters must be an object.")
            return value
        raise serializers.ValidationError(
            "Must be a saved config id or {algorithm, hyperparameters}."
        )


class TrainingJobListQuerySerializer(serializers.Serializer):
    """Filters of `training/`."""

    status = choice_filter(TrainingJob.Status.choices, "job status", "Only jobs in this status.")
    pipeline_id = id_filter("pipeline")


class TrainingJobSerializer(serializers.ModelSerializer):
    """A training job's status."""

    job_id = serializers.UUIDField(source="id", read_only=True)
    pipeline_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingJob
        fields = [
            "job_id",
            "pipeline_id",
            "status",
            "progress",
            "estimated_time_remaining",
            "current_epoch",
            "current_algorithm",
            "best_metric",
            "error",
            "config",
            "created_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields


class TrainingEventSerializer(serializers.ModelSerializer):
    """A stored event (log line, progress, metric or status)."""

    seq = serializers.IntegerField(source="id", read_only=True)
    type = serializers.CharField(source="kind", read_only=True)
    timestamp = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = TrainingEvent
        fields = ["seq", "type", "payload", "timestamp"]
        read_only_fields = fields


class EpochMetricSerializer(serializers.ModelSerializer):
    """One epoch's losses and metrics."""

    class Meta:
        model = EpochMetric
        fields = [
            "algorithm",
            "epoch",
            "train_loss",
            "val_loss",
            "train_metrics",
            "val_metrics",
            "learning_rate",
            "timestamp",
        ]
        read_only_fields = fields
