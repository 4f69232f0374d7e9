"""Modeling serializers: the catalogue, config validation and trained models."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from modeling.models import ModelConfig, TrainedModel
from pipelines.models import Pipeline
from vur.params import id_field, id_filter


class HyperParamSerializer(serializers.Serializer):
    """One hyperparameter's schema, enough to generate a form field."""

    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["int", "float", "bool", "categorical"])
    default = serializers.JSONField(allow_null=True)
    min = serializers.FloatField(required=False)
    max = serializers.FloatField(required=False)
    choices = serializers.ListField(child=serializers.JSONField(), required=False)
    log = serializers.BooleanField()
    description = serializers.CharField(required=False)


class AlgorithmSerializer(serializers.Serializer):
    """A catalogue entry."""

    name = serializers.CharField()
    display_name = serializers.CharField()
    problem_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    supports_epochs = serializers.BooleanField()
    hyperparameters = HyperParamSerializer(many=True)


class AlgorithmQuerySerializer(serializers.Serializer):
    """Filter of `models/algorithms`."""

    problem_type = serializers.ChoiceField(choices=Pipeline.ProblemType.choices, required=False)


class ValidateConfigSerializer(serializers.Serializer):
    """Body of `models/validate-config`."""

    algorithm = serializers.CharField()
    hyperparameters = serializers.JSONField(required=False, default=dict)
    problem_type = serializers.ChoiceField(choices=Pipeline.ProblemType.choices, required=False)


class ValidateConfigResultSerializer(serializers.Serializer):
    """Answer of `models/validate-config`."""

    valid = serializers.BooleanField()
    # The contract's field name; it shadows Serializer.errors in an answer-only serializer.
    errors = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]


class SearchSerializer(serializers.Serializer):
    """An optional hyperparameter search."""

    method = serializers.ChoiceField(choices=["none", "grid", "random", "bayesian"])
    n_iter = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    time_budget_s = serializers.FloatField(min_value=1, max_value=86_400, required=False)


class ConfigureSerializer(serializers.Serializer):
    """Body of `models/configure`."""

    pipeline_id = id_field()
    algorithm = serializers.CharField()
    hyperparameters = serializers.JSONField(required=False, default=dict)
    search = SearchSerializer(required=False, allow_null=True)


class ModelConfigSerializer(serializers.ModelSerializer):
    """A saved model config."""

    pipeline_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ModelConfig
        fields = ["id", "pipeline_id", "algorithm", "hyperparameters", "search", "created_at"]
        read_only_fields = fields


class TrainedModelListQuerySerializer(serializers.Serializer):
    """Filters of `models/`."""

    pipeline_id = id_filter("pipeline")


class TrainedModelSerializer(serializers.ModelSerializer):
    """A trained model on the leaderboard."""

    pipeline_id = serializers.IntegerField(read_only=True)
    fitted_form = serializers.SerializerMethodField(
        help_text="Forecasters: what the fit chose where the hyperparameters left it open (ETS "
        "components, ARIMA orders, Theta variant, seasons, lags), grouped by series: {n_series, "
        "n_forms, forms: [{text, form, n_series, series}]}; null for tabular models and for "
        "forecasters saved before it was recorded."
    )

    class Meta:
        model = TrainedModel
        fields = [
            "id",
            "pipeline_id",
            "training_job_id",
            "problem_type",
            "algorithm",
            "hyperparameters",
            "fitted_form",
            "metrics",
            "primary_metric",
            "primary_value",
            "rank",
            "test_metrics",
            "confusion_matrix",
            "classes",
            "feature_importance",
            "prediction_intervals",
            "residual_analysis",
            "input_schema",
            "model_size_mb",
            "inference_time_ms",
            "fit_time_s",
            "sha256",
            "is_deployed",
            "created_at",
        ]
        read_only_fields = fields
        # What the scores mean: the rank follows the validation score, not the hold-out one.
        extra_kwargs = {
            "rank": {
                "help_text": "Position in the job's leaderboard, 1 = best, ordered by the "
                "validation score (metrics.cv_score; the backtest score for forecasters), "
                "not by primary_value."
            },
            "metrics": {
                "help_text": "cv_score: the primary metric on the validation folds (what ranks "
                "tabular models), then the hold-out scores."
            },
            "primary_metric": {
                "help_text": "Name of the ranking metric (auc, rmse, mase); rmse, mase and other "
                "errors are lower-is-better, auc higher-is-better."
            },
            "primary_value": {
                "help_text": "The primary metric on the hold-out rows (tabular) or the rolling "
                "backtest (forecasters); a lower-ranked model may score better here."
            },
        }

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": {}})
    def get_fitted_form(self, obj: TrainedModel) -> dict[str, Any] | None:
        """The card's fitted form of a forecaster (`ForecastModel.fitted_forms`), else None."""
        form = (obj.card or {}).get("fitted_form") if isinstance(obj.card, dict) else None
        return form or None
