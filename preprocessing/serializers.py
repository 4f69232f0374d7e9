"""Preprocessing request bodies and the PreprocessingResult answer."""

from __future__ import annotations

from rest_framework import serializers

from vur.params import id_field, id_filter


class OptionsQuerySerializer(serializers.Serializer):
    """`?pipeline_id=` of `preprocessing/options`: the choices of that pipeline's kind."""

    pipeline_id = id_filter("pipeline")


class AnalyzeSerializer(serializers.Serializer):
    """Body of `preprocessing/analyze`."""

    dataset_id = id_field()
    columns = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    sample_size = serializers.IntegerField(min_value=10, max_value=1_000_000, default=10_000)


class QualityIssueSerializer(serializers.Serializer):
    """One data-quality issue."""

    column = serializers.CharField(allow_null=True)
    issue_type = serializers.ChoiceField(
        choices=["missing_values", "outliers", "duplicates", "inconsistent_format"]
    )
    severity = serializers.ChoiceField(choices=["low", "medium", "high", "critical"])
    count = serializers.IntegerField()
    percentage = serializers.FloatField()
    description = serializers.CharField()
    suggested_action = serializers.CharField()


class AnalysisSerializer(serializers.Serializer):
    """Answer of `preprocessing/analyze`."""

    dataset_id = id_field()
    total_rows = serializers.IntegerField()
    total_columns = serializers.IntegerField()
    issues = QualityIssueSerializer(many=True)
    overall_score = serializers.FloatField(
        help_text=(
            "0 to 1: completeness 0.4 (cells with a value; a time series' missing timestamps, "
            "gaps in its regular grid, count as rows with every value missing), uniqueness 0.2 "
            "(no duplicate rows), consistency 0.2 (consistent formats), validity 0.2 (no "
            "outliers). 1 only when no issue is found."
        )
    )
    recommendations = serializers.ListField(
        child=serializers.CharField(),
        help_text=(
            "What to do, in the terms of the choices the data's pipelines offer (a time series: "
            "a forecasting pipeline's gap filling and outlier treatment)."
        ),
    )
    analysis_timestamp = serializers.DateTimeField()


class MissingValuesSerializer(serializers.Serializer):
    """Body of `preprocessing/missing-values`."""

    dataset_id = id_field()
    strategy = serializers.ChoiceField(
        choices=["drop", "mean", "median", "mode", "interpolate", "forward_fill"]
    )
    columns = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class OutliersSerializer(serializers.Serializer):
    """Body of `preprocessing/outliers`."""

    dataset_id = id_field()
    method = serializers.ChoiceField(choices=["iqr", "zscore", "isolation_forest"])
    treatment = serializers.ChoiceField(choices=["remove", "cap", "transform"])
    columns = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    threshold = serializers.FloatField(required=False, allow_null=True)


class TransformationSerializer(serializers.Serializer):
    """One column transformation."""

    column = serializers.CharField()
    type = serializers.CharField()


class TransformationsSerializer(serializers.Serializer):
    """Body of `preprocessing/transformations`."""

    dataset_id = id_field()
    transformations = TransformationSerializer(many=True, allow_empty=False)


class ApplySerializer(serializers.Serializer):
    """Body of `preprocessing/apply`."""

    pipeline_id = id_field()
    config = serializers.DictField()


class PreviewTableSerializer(serializers.Serializer):
    """A few rows after the change."""

    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class PreprocessingStepSerializer(serializers.Serializer):
    """One step training runs, and when it applies."""

    step = serializers.CharField(help_text="missing_values, outliers, transformation, scaling...")
    applies = serializers.ChoiceField(
        choices=["training", "training_and_prediction"],
        help_text="training: to the training rows only (e.g. dropping rows); "
        "training_and_prediction: fitted on the training rows and saved with the model.",
    )
    description = serializers.CharField()


class PreprocessingResultSerializer(serializers.Serializer):
    """What a preprocessing choice does to the data: the preprocessor training fits, fitted on
    the sample's training rows, and the rows it hands the model."""

    original_shape = serializers.ListField(child=serializers.IntegerField())
    processed_shape = serializers.ListField(child=serializers.IntegerField())
    changes_summary = serializers.DictField(
        help_text="Per input column ('*' for dropped rows): {action, count, detail, applies}."
    )
    quality_improvement = serializers.FloatField()
    processing_time = serializers.FloatField()
    warnings = serializers.ListField(child=serializers.CharField())
    preview = PreviewTableSerializer()
    outliers = serializers.DictField(child=serializers.IntegerField(), required=False)
    steps = PreprocessingStepSerializer(many=True)
