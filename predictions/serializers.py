"""Prediction serializers: deploy, single, forecast, batch and feedback bodies and answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from predictions.models import BatchJob, Deployment
from vur.params import choice_filter, id_field, id_filter


class DeploySerializer(serializers.Serializer):
    """Body of `deployment/deploy`."""

    model_id = id_field()
    target = serializers.ChoiceField(choices=Deployment.Target.choices, default="api")


class DeploymentListQuerySerializer(serializers.Serializer):
    """Filters of `deployment/`."""

    model_id = id_filter("model")
    status = choice_filter(
        Deployment.Status.choices, "deployment status", "Only deployments in this status."
    )


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment."""

    model_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "model_id",
            "target",
            "status",
            "endpoint_url",
            "deployed_at",
            "undeployed_at",
        ]
        read_only_fields = fields


class SinglePredictionSerializer(serializers.Serializer):
    """Body of `predictions/single`."""

    model_id = id_field()
    # The contract's field name; it shadows Serializer.data in this input-only serializer.
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="One row {column: value} or a list of rows."
    )
    return_probabilities = serializers.BooleanField(default=False)


class SinglePredictionResultSerializer(serializers.Serializer):
    """Answer of `predictions/single`."""

    model_id = id_field()
    predictions = serializers.ListField(child=serializers.JSONField())
    probabilities = serializers.ListField(child=serializers.DictField(), required=False)
    prediction_ids = serializers.ListField(child=serializers.CharField())
    latency_ms = serializers.FloatField()


NUMBER_TEXT_HELP = (
    "A number, or a number written as text as the WebSocket stream takes it: read as the "
    "training file wrote the target's numbers (its decimal mark and separators, e.g. 101,5 on a "
    "decimal-comma file), and a decimal comma also where it can be nothing else (101,5 on a "
    "decimal-point file). Refused with a 400 naming the field: text that is no number "
    "(code bad_value), 1,234 on a decimal-point file (1234 or 1.234? code ambiguous_number), "
    "null, true/false and numbers that are not finite."
)


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string"}]})
class ObservedNumberField(serializers.Field):
    """An observed value as sent (a JSON number or text), read later by the live service with
    the model's number notation (`predictions.live.parse_points`), the reader the WebSocket
    stream uses, so REST accepts and refuses the same values."""

    def __init__(self, **kwargs) -> None:
        # null reaches the reader too, which refuses it as the stream does ("must be a number").
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", NUMBER_TEXT_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        """The value as sent; the service reads it with the model's notation."""
        return data

    def to_representation(self, value):
        """The value as stored."""
        return value


class ObservationSerializer(serializers.Serializer):
    """One new observation of a forecast series (checked against the model by the service)."""

    timestamp = serializers.CharField(
        help_text="As the training file's time column wrote it (its day/month order, quarters such "
        "as Q3 1983) or ISO 8601; naive times are read as UTC. Another notation is read only "
        "when it reads one way: 02.01.2024 on a series written 2024-01-31 could be 2 January or "
        "1 February and is refused (code ambiguous_timestamp)."
    )
    value = ObservedNumberField()
    series_id = serializers.JSONField(
        required=False, allow_null=True, help_text="For a model with several series."
    )


class ForecastSerializer(serializers.Serializer):
    """Body of `predictions/forecast`."""

    model_id = id_field()
    horizon = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Steps to forecast (default: the model's horizon). Steps past the horizon its "
        "backtests checked carry a note; a horizon whose last steps would fall after "
        "2262-04-11 is refused (code horizon_past_calendar).",
    )
    level = serializers.ListField(child=serializers.FloatField(), required=False, allow_empty=False)
    series_id = serializers.JSONField(required=False, allow_null=True)
    observations = ObservationSerializer(
        many=True,
        required=False,
        help_text="New points appended to the deployment's live history before forecasting; "
        "each must be after the last known one and on the series' frequency. Steps a point "
        "skips are filled as in training, at most the longer of the model's horizon and one "
        "season (7 days, 24 hours, 12 months) in a row; a point further on refuses the batch "
        "(code observation_gap_too_long) and nothing changes. A value the model cannot "
        "forecast from (it fails, or its forecast or intervals are not finite) refuses the "
        "batch too (code observation_not_forecastable). A value far outside its series' "
        "training values is taken, with a warning first in the answer's notes.",
    )


class IntervalSerializer(serializers.Serializer):
    """Lower and upper bounds at one level."""

    lower = serializers.ListField(child=serializers.FloatField())
    upper = serializers.ListField(child=serializers.FloatField())


class ObservationGapSerializer(serializers.Serializer):
    """Steps an observation skipped after the last known one, and how they were filled."""

    series_id = serializers.JSONField(allow_null=True)
    after = serializers.CharField(help_text="The last known timestamp before the gap.")
    before = serializers.CharField(help_text="The observation that ends the gap.")
    missing_steps = serializers.IntegerField()
    first_missing = serializers.CharField()
    last_missing = serializers.CharField()
    filled_with = serializers.CharField(
        allow_null=True, help_text='The series preparation\'s fill method, e.g. "interpolate".'
    )
    note = serializers.CharField(help_text="The gap and its filling in words.")


class ForecastResultSerializer(serializers.Serializer):
    """Answer of `predictions/forecast`."""

    model_id = id_field()
    timestamps = serializers.ListField(child=serializers.CharField())
    forecast = serializers.ListField(child=serializers.FloatField())
    intervals = serializers.DictField(child=IntervalSerializer())
    series = serializers.ListField(child=serializers.DictField(), required=False)
    series_id = serializers.JSONField(allow_null=True, help_text="The forecast series (null: one).")
    updated_through = serializers.CharField(help_text="The last observed timestamp.")
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What to know about this forecast, e.g. steps beyond the horizon its "
        "intervals were calibrated for (empty when nothing).",
    )
    observations_applied = serializers.IntegerField()
    missing_steps = serializers.IntegerField(
        help_text="Steps the observations skipped (filled as in training; see `gaps`)."
    )
    gaps = ObservationGapSerializer(many=True)
    prediction_id = serializers.CharField()
    prediction_ids = serializers.ListField(child=serializers.CharField())
    latency_ms = serializers.FloatField()


class BatchStartSerializer(serializers.Serializer):
    """Multipart body of `predictions/batch`."""

    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A .csv, .xlsx, .json or .parquet file with the model's columns; an empty "
        "file (code empty_file) or one with a header and no rows (code no_rows) is refused.",
    )
    model_id = id_field()
    columns = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Input columns copied into the result beside `prediction` (repeat the field, "
        "or one comma-separated value); absent: every input column; one empty value: none.",
    )
    include_probabilities = serializers.BooleanField(
        default=True, help_text="Add one `proba_<class>` column per class (classifiers)."
    )

    def validate_columns(self, value: list[str]) -> list[str]:
        """One comma-separated value is split; blanks are dropped (so `columns=` is none)."""
        if len(value) == 1 and "," in value[0]:
            value = value[0].split(",")
        names = [v.strip() for v in value if v.strip()]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("A column is named twice.")
        return names


class BatchJobSerializer(serializers.ModelSerializer):
    """A batch scoring job."""

    job_id = serializers.UUIDField(source="id", read_only=True)
    model_id = serializers.IntegerField(read_only=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = BatchJob
        fields = [
            "job_id",
            "model_id",
            "status",
            "progress",
            "rows_total",
            "rows_done",
            "result_url",
            "error",
            "created_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields

    def get_result_url(self, job: BatchJob) -> str | None:
        if job.status != BatchJob.Status.COMPLETED:
            return None
        return f"/api/v1/predictions/batch/{job.pk}/download"


class FeedbackSerializer(serializers.Serializer):
    """Body of `predictions/feedback`."""

    prediction_id = serializers.UUIDField()
    actual = serializers.JSONField()


class FeedbackResultSerializer(serializers.Serializer):
    """Answer of `predictions/feedback` for a served prediction."""

    prediction_id = serializers.CharField()
    actual = serializers.JSONField()


class ForecastFeedbackSerializer(serializers.Serializer):
    """Body of `predictions/feedback` for a forecasting model (one object or a list)."""

    model_id = id_field()
    timestamp = serializers.CharField(
        help_text="As the training file's time column wrote it (its day/month order, quarters such "
        "as Q3 1983) or ISO 8601; naive times are read as UTC. Another notation is read only "
        "when it reads one way: 02.01.2024 on a series written 2024-01-31 could be 2 January or "
        "1 February and is refused (code ambiguous_timestamp)."
    )
    actual = ObservedNumberField()
    series_id = serializers.JSONField(required=False, allow_null=True)


class ForecastActualSerializer(serializers.Serializer):
    """One recorded actual of a forecast series."""

    model_id = id_field()
    series_id = serializers.JSONField(allow_null=True)
    timestamp = serializers.CharField()
    actual = serializers.FloatField()


class ForecastFeedbackResultSerializer(serializers.Serializer):
    """Answer of `predictions/feedback` for forecast actuals."""

    count = serializers.IntegerField()
    actuals = ForecastActualSerializer(many=True)
