"""Dataset endpoints: upload, list, detail, rename, delete, download, validate, preview, stats."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from datasets import selectors, services
from datasets.serializers import (
    ColumnPageQuerySerializer,
    DatasetListQuerySerializer,
    DatasetSerializer,
    DatasetSummarySerializer,
    DatasetUpdateSerializer,
    DatasetUploadSerializer,
    PreviewQuerySerializer,
    PreviewSerializer,
    StatisticsSerializer,
    ValidationReportSerializer,
)
from vur.params import list_filters

# What a download can be, by the uploaded file's format (CSV, XLSX, JSON, Parquet).
DOWNLOAD_MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/octet-stream",
}
DOWNLOAD_TYPES = tuple(DOWNLOAD_MEDIA.values())


@extend_schema_view(
    list=extend_schema(summary="List your datasets", parameters=[DatasetListQuerySerializer]),
    retrieve=extend_schema(summary="A dataset with its profile"),
    partial_update=extend_schema(summary="Rename or re-describe", request=DatasetUpdateSerializer),
    destroy=extend_schema(summary="Delete a dataset and its stored file"),
)
class DatasetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Datasets of the signed-in user (staff see all)."""

    serializer_class = DatasetSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if self.action != "list":
            return selectors.dataset_list(user=self.request.user).select_related("owner")
        filters = list_filters(DatasetListQuerySerializer, self.request.query_params)
        queryset = selectors.dataset_list(user=self.request.user, **filters)
        # The list leaves out the per-column profile: do not load it.
        return queryset.select_related("owner").defer("columns_info")

    def get_serializer_class(self):
        return DatasetSummarySerializer if self.action == "list" else DatasetSerializer

    @extend_schema(
        summary="Upload a CSV, XLSX, JSON or Parquet file",
        request={"multipart/form-data": DatasetUploadSerializer},
        responses={201: DatasetSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        """Stream the file to storage, parse and profile it, answer the new Dataset."""
        form = DatasetUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["file"]
        dataset = services.dataset_upload(
            owner=request.user,
            upload=upload,
            name=data.get("name") or upload.name.rsplit(".", 1)[0],
            description=data.get("description", ""),
            dataset_type=data.get("dataset_type"),
            time_column=data.get("time_column") or None,
        )
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        form = DatasetUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dataset = services.dataset_update(dataset=self.get_object(), **form.validated_data)
        return Response(DatasetSerializer(dataset).data)

    def perform_destroy(self, instance) -> None:
        services.dataset_delete(dataset=instance)

    @extend_schema(
        request=None,
        parameters=[ColumnPageQuerySerializer],
        responses={200: ValidationReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk=None) -> Response:
        """Errors, warnings and detected facts, for one page of columns (`?page=&page_size=`)."""
        query = ColumnPageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        dataset = self.get_object()
        return Response(services.dataset_validate(dataset=dataset, **query.validated_data))

    @extend_schema(parameters=[PreviewQuerySerializer], responses={200: PreviewSerializer})
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk=None) -> Response:
        """One page of the dataset's rows."""
        query = PreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(services.dataset_preview(dataset=self.get_object(), **query.validated_data))

    @extend_schema(parameters=[ColumnPageQuerySerializer], responses={200: StatisticsSerializer})
    @action(detail=True, methods=["get"])
    def statistics(self, request: Request, pk=None) -> Response:
        """Per-column statistics for one page of columns (`?page=&page_size=`)."""
        query = ColumnPageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        dataset = self.get_object()
        return Response(services.dataset_statistics(dataset=dataset, **query.validated_data))

    @extend_schema(
        responses={
            (200, media): OpenApiResponse(
                OpenApiTypes.ANY if media == "application/json" else OpenApiTypes.BINARY,
                "the original file (its type follows the upload); a CSV or XLSX with cells a "
                "spreadsheet would run as formulas comes with those cells prefixed by ' "
                "(header X-Formulas-Neutralized: true)",
            )
            for media in DOWNLOAD_TYPES
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk=None) -> FileResponse | StreamingHttpResponse:
        """The original uploaded file."""
        dataset = self.get_object()
        content, neutralized = services.dataset_export(dataset=dataset)
        if isinstance(content, Iterator):
            response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(True, dataset.filename)
        else:
            response = FileResponse(
                content,
                as_attachment=True,
                filename=dataset.filename,
                content_type=DOWNLOAD_MEDIA.get(dataset.file_format, "application/octet-stream"),
            )
        response["X-Formulas-Neutralized"] = "true" if neutralized else "false"
        return response
