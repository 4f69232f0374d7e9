"""Pipeline endpoints: create, list, read, update, delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from datasets.selectors import dataset_get
from pipelines import selectors, services
from pipelines.serializers import (
    PipelineCreateSerializer,
    PipelineListQuerySerializer,
    PipelineSerializer,
    PipelineUpdateSerializer,
)
from vur.params import list_filters


@extend_schema_view(
    list=extend_schema(parameters=[PipelineListQuerySerializer]),
    create=extend_schema(request=PipelineCreateSerializer, responses={201: PipelineSerializer}),
    partial_update=extend_schema(request=PipelineUpdateSerializer),
    update=extend_schema(request=PipelineUpdateSerializer),
)
class PipelineViewSet(viewsets.ModelViewSet):
    """Pipelines of the signed-in user (staff see all)."""

    serializer_class = PipelineSerializer

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            filters = list_filters(PipelineListQuerySerializer, self.request.query_params)
        return selectors.pipeline_list(user=self.request.user, **filters)

    def create(self, request: Request, *args, **kwargs) -> Response:
        form = PipelineCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        dataset = dataset_get(user=request.user, dataset_id=data.pop("dataset_id"))
        pipeline = services.pipeline_create(owner=request.user, dataset=dataset, **data)
        return Response(PipelineSerializer(pipeline).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance) -> None:
        services.pipeline_delete(pipeline=instance)

    def update(self, request: Request, *args, **kwargs) -> Response:
        form = PipelineUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        form.is_valid(raise_exception=True)
        pipeline = services.pipeline_update(pipeline=self.get_object(), **form.validated_data)
        return Response(PipelineSerializer(pipeline).data)
