"""Preprocessing endpoints: options, analyze, previews, and apply (saved on the pipeline)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from datasets.selectors import dataset_get
from pipelines.models import Pipeline
from pipelines.selectors import pipeline_get
from preprocessing import preview, services
from preprocessing.config import preprocessing_options
from preprocessing.serializers import (
    AnalysisSerializer,
    AnalyzeSerializer,
    ApplySerializer,
    MissingValuesSerializer,
    OptionsQuerySerializer,
    OutliersSerializer,
    PreprocessingResultSerializer,
    TransformationsSerializer,
)


def _valid(serializer_class, request: Request) -> dict:
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


class PreprocessingViewSet(viewsets.ViewSet):
    """The preprocessing stage."""

    @extend_schema(parameters=[OptionsQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    # The contract's path (preprocessing/options); it shadows the HTTP OPTIONS handler, which
    # this GET-only action answers in its place.
    def options(self, request: Request) -> Response:  # type: ignore[override]
        """Every preprocessing choice with a one-line description; with `pipeline_id`, the
        choices that pipeline offers, as its wizard page does (a forecasting pipeline's series
        options, or a table's)."""
        query = OptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pipeline_id = query.validated_data.get("pipeline_id")
        if pipeline_id is None:
            return Response(preview.PREPROCESSING_OPTIONS)
        pipeline = pipeline_get(user=request.user, pipeline_id=pipeline_id)
        forecasting = pipeline.problem_type == Pipeline.ProblemType.FORECASTING
        return Response(preprocessing_options(forecasting))

    @extend_schema(request=AnalyzeSerializer, responses={200: AnalysisSerializer})
    @action(detail=False, methods=["post"])
    def analyze(self, request: Request) -> Response:
        """Data-quality issues per column, an overall score and recommendations."""
        data = _valid(AnalyzeSerializer, request)
        dataset = dataset_get(user=request.user, dataset_id=data["dataset_id"])
        return Response(
            services.quality_analyze(
                dataset=dataset, columns=data.get("columns"), sample_size=data["sample_size"]
            )
        )

    @extend_schema(request=MissingValuesSerializer, responses={200: PreprocessingResultSerializer})
    @action(detail=False, methods=["post"], url_path="missing-values")
    def missing_values(self, request: Request) -> Response:
        """Preview a missing-value strategy (the dataset is not changed)."""
        data = _valid(MissingValuesSerializer, request)
        dataset = dataset_get(user=request.user, dataset_id=data.pop("dataset_id"))
        return Response(
            services.missing_values_preview(
                dataset=dataset, strategy=data["strategy"], columns=data.get("columns")
            )
        )

    @extend_schema(request=OutliersSerializer, responses={200: PreprocessingResultSerializer})
    @action(detail=False, methods=["post"])
    def outliers(self, request: Request) -> Response:
        """Preview outlier detection and treatment (the dataset is not changed)."""
        data = _valid(OutliersSerializer, request)
        dataset = dataset_get(user=request.user, dataset_id=data.pop("dataset_id"))
        return Response(
            services.outliers_preview(
                dataset=dataset, method=data["method"], treatment=data["treatment"],
                columns=data.get("columns"), threshold=data.get("threshold"),
            )
        )  # fmt: skip

    @extend_schema(
        request=TransformationsSerializer, responses={200: PreprocessingResultSerializer}
    )
    @action(detail=False, methods=["post"])
    def transformations(self, request: Request) -> Response:
        """Preview column transformations (the dataset is not changed)."""
        data = _valid(TransformationsSerializer, request)
        dataset = dataset_get(user=request.user, dataset_id=data["dataset_id"])
        return Response(
            services.transformations_preview(
                dataset=dataset, transformations=[dict(t) for t in data["transformations"]]
            )
        )

    @extend_schema(request=ApplySerializer, responses={200: PreprocessingResultSerializer})
    @action(detail=False, methods=["post"])
    def apply(self, request: Request) -> Response:
        """Save a preprocessing config on the pipeline; training uses exactly this config."""
        data = _valid(ApplySerializer, request)
        pipeline = pipeline_get(user=request.user, pipeline_id=data["pipeline_id"])
        return Response(services.preprocessing_apply(pipeline=pipeline, config=data["config"]))
