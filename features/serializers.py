"""Feature-engineering request bodies and answers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from features.config import LAG_MIN, WINDOW_MIN
from vur.params import id_field

# Messages that read after the value they judge ("-1: must be at least 1"), in the REST answer
# and at the wizard's fields alike.
_WHOLE_NUMBER_MESSAGES: dict[str, Any] = {
    "invalid": "is not a whole number",
    "min_value": "must be at least {min_value}",
    "max_value": "must be at most {max_value}",
}


def _steps_back(low: int) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low, max_value=10_000, error_messages=_WHOLE_NUMBER_MESSAGES
    )


class GenerateSerializer(serializers.Serializer):
    """Body of `features/generate`; absent values are chosen from the data. The wizard's
    Generate form is checked by this serializer too (`vur.wizard`), so both refuse alike."""

    pipeline_id = id_field()
    lags = serializers.ListField(child=_steps_back(LAG_MIN), required=False, allow_empty=False)
    rolling_windows = serializers.ListField(
        child=_steps_back(WINDOW_MIN), required=False, allow_empty=False
    )
    calendar = serializers.BooleanField(default=True)
    fourier_terms = serializers.IntegerField(
        min_value=0, max_value=20, required=False, error_messages=_WHOLE_NUMBER_MESSAGES
    )
    interactions = serializers.BooleanField(
        default=False,
        help_text="Tabular pipelines: add the pairwise products of the (at most five) numeric "
        "columns most informative about the target, chosen on training rows.",
    )


class FeatureSerializer(serializers.Serializer):
    """One generated feature."""

    name = serializers.CharField()
    kind = serializers.CharField()
    source_columns = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()


class GenerateResultSerializer(serializers.Serializer):
    """Answer of `features/generate`."""

    features = FeatureSerializer(many=True)


class SelectSerializer(serializers.Serializer):
    """Body of `features/select`."""

    pipeline_id = id_field()
    method = serializers.ChoiceField(
        choices=["mutual_info", "correlation", "variance", "model_based"]
    )
    k = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    threshold = serializers.FloatField(required=False, allow_null=True)


class SelectResultSerializer(serializers.Serializer):
    """Answer of `features/select`."""

    selected = serializers.ListField(child=serializers.CharField())
    scores = serializers.DictField(child=serializers.FloatField(allow_null=True))
