"""Pipeline serializers: create/update input and the Pipeline output."""

from __future__ import annotations

from rest_framework import serializers

from pipelines.models import Pipeline
from pipelines.services import default_forecast_horizon
from vur.params import id_field, id_filter


class PipelineSerializer(serializers.ModelSerializer):
    """A pipeline as the contract describes it."""

    dataset_id = serializers.IntegerField(read_only=True)
    default_forecast_horizon = serializers.SerializerMethodField(
        help_text="The horizon training uses while forecast_horizon is null: the frequency's usual "
        "one (monthly 18, daily 14...), less for a short series (at most a fifth of it); null "
        "for a pipeline that does not forecast."
    )

    def get_default_forecast_horizon(self, obj: Pipeline) -> int | None:
        """The default horizon of a forecasting pipeline (`pipelines.services`)."""
        if obj.problem_type != Pipeline.ProblemType.FORECASTING:
            return None
        return default_forecast_horizon(dataset=obj.dataset, time_column=obj.time_column)

    class Meta:
        model = Pipeline
        fields = [
            "id",
            "name",
            "dataset_id",
            "target_column",
            "problem_type",
            "feature_columns",
            "time_column",
            "id_column",
            "forecast_horizon",
            "default_forecast_horizon",
            "status",
            "current_step",
            "completed_steps",
            "preprocessing_config",
            "feature_config",
            "model_configs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PipelineListQuerySerializer(serializers.Serializer):
    """Filters of `pipelines/`."""

    dataset_id = id_filter("dataset")


class PipelineCreateSerializer(serializers.Serializer):
    """Body of `POST pipelines/`."""

    name = serializers.CharField(max_length=200)
    dataset_id = id_field()
    target_column = serializers.CharField(max_length=255)
    problem_type = serializers.ChoiceField(choices=Pipeline.ProblemType.choices)
    feature_columns = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True
    )
    time_column = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    id_column = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    forecast_horizon = serializers.IntegerField(required=False, allow_null=True)


class PipelineUpdateSerializer(serializers.Serializer):
    """Body of `PATCH pipelines/{id}/`."""

    name = serializers.CharField(max_length=200, required=False)
    target_column = serializers.CharField(max_length=255, required=False)
    problem_type = serializers.ChoiceField(choices=Pipeline.ProblemType.choices, required=False)
    feature_columns = serializers.ListField(child=serializers.CharField(), required=False)
    time_column = serializers.CharField(required=False, allow_blank=True)
    forecast_horizon = serializers.IntegerField(required=False, allow_null=True)
