"""Feature-engineering request bodies and answers."""

from __future__ import annotations

from rest_framework import serializers

from vur.params import id_field


class GenerateSerializer(serializers.Serializer):
    """Body of `features/generate`; absent values are chosen from the data."""

    pipeline_id = id_field()
    lags = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=10_000),
        required=False,
        allow_empty=False,
    )
    rolling_windows = serializers.ListField(
        child=serializers.IntegerField(min_value=2, max_value=10_000),
        required=False,
        allow_empty=False,
    )
    calendar = serializers.BooleanField(default=True)
    fourier_terms = serializers.IntegerField(min_value=0, max_value=20, required=False)
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
