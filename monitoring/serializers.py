"""Input and output shapes of the monitoring endpoints."""

from __future__ import annotations

from rest_framework import serializers

from modeling.templatetags.modeling_labels import model_name
from monitoring.models import Alert
from vur.params import id_field


class MetricsQuerySerializer(serializers.Serializer):
    """`?window=`: a number and a unit m, h or d, from 5m to 90d (default 24h)."""

    window = serializers.CharField(required=False, default="24h", max_length=10)


class LatencySerializer(serializers.Serializer):
    """Latency percentiles in milliseconds (null without predictions)."""

    p50 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)


class HorizonErrorSerializer(serializers.Serializer):
    """Error of forecasts made `step` periods ahead."""

    step = serializers.IntegerField()
    n = serializers.IntegerField()
    mae = serializers.FloatField(allow_null=True)
    mase = serializers.FloatField(allow_null=True)


class TimelinePointSerializer(serializers.Serializer):
    """One bin of the timeline."""

    timestamp = serializers.DateTimeField()
    count = serializers.IntegerField()
    # The contract's field name; it shadows Serializer.errors in an answer-only serializer.
    errors = serializers.IntegerField()  # type: ignore[assignment]
    error_rate = serializers.FloatField(allow_null=True)
    latency_ms = LatencySerializer()
    metrics = serializers.DictField()
    by_horizon = HorizonErrorSerializer(many=True, required=False)
    coverage = serializers.DictField(child=serializers.FloatField(), required=False)


class ModelMetricsSerializer(serializers.Serializer):
    """Live figures of a model over a window."""

    model_id = id_field()
    problem_type = serializers.CharField()
    window = serializers.CharField()
    prediction_count = serializers.IntegerField()
    error_count = serializers.IntegerField()
    latency_ms = LatencySerializer()
    error_rate = serializers.FloatField(allow_null=True)
    live_metrics = serializers.DictField()
    live_notes = serializers.DictField(
        child=serializers.CharField(),
        help_text='Why a live metric is null although feedback came, e.g. {"auc": "AUC needs '
        'feedback with actuals of at least two classes."}, or, for a forecaster, why MASE by '
        'step is missing for some or all series ({"mase": "..."}); empty otherwise.',
    )
    training_metrics = serializers.DictField()
    timeline = TimelinePointSerializer(many=True)
    by_horizon = HorizonErrorSerializer(many=True, required=False)
    coverage = serializers.DictField(child=serializers.FloatField(), required=False)
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class DriftDetectSerializer(serializers.Serializer):
    """Compare a model's reference with recent predictions (`window`) or a dataset."""

    model_id = id_field()
    dataset_id = id_field(required=False)
    window = serializers.CharField(required=False, max_length=10)
    alpha = serializers.FloatField(required=False, min_value=0.0001, max_value=0.5)

    def validate(self, attrs):
        if "dataset_id" in attrs and attrs.get("window"):
            raise serializers.ValidationError("Give either dataset_id or window, not both.")
        return attrs


class FeatureDriftSerializer(serializers.Serializer):
    """Drift of one column."""

    feature = serializers.CharField()
    method = serializers.ChoiceField(choices=["psi", "ks", "chi2"])
    statistic = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    psi = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    drift = serializers.BooleanField()
    status = serializers.ChoiceField(
        choices=["tested", "insufficient_data", "no_values"],
        help_text="insufficient_data: fewer recent values than min_samples, so the test is "
        "not judged (drift is false); no_values: nothing to compare.",
    )
    note = serializers.CharField(
        required=False, help_text="Why the column was not tested, in words."
    )


class DriftResultSerializer(serializers.Serializer):
    """Per-feature drift with an overall verdict and score (share of drifted features)."""

    model_id = id_field()
    drift_detected = serializers.BooleanField()
    overall_score = serializers.FloatField()
    mean_psi = serializers.FloatField(allow_null=True)
    drifted_features = serializers.ListField(child=serializers.CharField())
    features_compared = serializers.IntegerField(
        help_text="Features with enough recent values to be tested."
    )
    features = FeatureDriftSerializer(many=True)
    alpha = serializers.FloatField()
    min_psi = serializers.FloatField()
    min_samples = serializers.IntegerField(help_text="Fewest recent values a feature is tested on.")
    reference = serializers.DictField()
    current = serializers.DictField()
    timestamp = serializers.DateTimeField()
    prediction_drift = FeatureDriftSerializer(required=False)


class AlertSerializer(serializers.ModelSerializer):
    """An alert raised by the periodic checks."""

    model_id = serializers.IntegerField(allow_null=True, read_only=True)
    model_name = serializers.SerializerMethodField(
        help_text='The model as people know it: "#1 Random forest of pipeline Churn".'
    )
    pipeline_id = serializers.SerializerMethodField()
    pipeline_name = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "model_id",
            "model_name",
            "pipeline_id",
            "pipeline_name",
            "kind",
            "severity",
            "message",
            "details",
            "created_at",
            "acknowledged",
            "acknowledged_at",
        ]
        read_only_fields = fields

    def get_model_name(self, alert: Alert) -> str | None:
        """Rank, algorithm and pipeline of the alert's model (null without one)."""
        return model_name(alert.model) if alert.model is not None else None

    def get_pipeline_id(self, alert: Alert) -> int | None:
        """The pipeline of the alert's model (null without one)."""
        return alert.model.pipeline_id if alert.model is not None else None

    def get_pipeline_name(self, alert: Alert) -> str | None:
        """The name of the pipeline of the alert's model (null without one)."""
        return alert.model.pipeline.name if alert.model is not None else None


class AlertQuerySerializer(serializers.Serializer):
    """Filters of the alert list."""

    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    model_id = id_field(required=False)
