"""Feature endpoints: generate and select (saved on the pipeline)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from features import services
from features.serializers import (
    GenerateResultSerializer,
    GenerateSerializer,
    SelectResultSerializer,
    SelectSerializer,
)
from pipelines.selectors import pipeline_get


class FeatureViewSet(viewsets.ViewSet):
    """The feature-engineering stage."""

    @extend_schema(request=GenerateSerializer, responses={200: GenerateResultSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        """Lags, rolling windows, calendar and Fourier features (defaults from the data)."""
        form = GenerateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        pipeline = pipeline_get(user=request.user, pipeline_id=data.pop("pipeline_id"))
        return Response(services.features_generate(pipeline=pipeline, **data))

    @extend_schema(request=SelectSerializer, responses={200: SelectResultSerializer})
    @action(detail=False, methods=["post"])
    def select(self, request: Request) -> Response:
        """Score and select feature columns on training rows; saved on the pipeline."""
        form = SelectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        pipeline = pipeline_get(user=request.user, pipeline_id=data.pop("pipeline_id"))
        return Response(services.features_select(pipeline=pipeline, **data))
