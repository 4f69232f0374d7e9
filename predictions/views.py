"""Deployment and prediction endpoints: deploy/undeploy, single, forecast, batch, feedback."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from modeling.selectors import trained_model_get
from predictions import selectors, services
from predictions.models import BatchJob
from predictions.serializers import (
    BatchJobSerializer,
    BatchStartSerializer,
    DeploymentListQuerySerializer,
    DeploymentSerializer,
    DeploySerializer,
    FeedbackResultSerializer,
    FeedbackSerializer,
    ForecastFeedbackResultSerializer,
    ForecastFeedbackSerializer,
    ForecastResultSerializer,
    ForecastSerializer,
    SinglePredictionResultSerializer,
    SinglePredictionSerializer,
)
from vur.errors import Conflict
from vur.params import list_filters


class DeploymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deployments of the signed-in user."""

    serializer_class = DeploymentSerializer

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            filters = list_filters(DeploymentListQuerySerializer, self.request.query_params)
        return selectors.deployment_list(user=self.request.user, **filters)

    @extend_schema(parameters=[DeploymentListQuerySerializer])
    def list(self, request: Request, *args, **kwargs) -> Response:
        """The user's deployments, newest first (paginated), optionally filtered."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DeploySerializer, responses={201: DeploymentSerializer})
    @action(detail=False, methods=["post"])
    def deploy(self, request: Request) -> Response:
        """Put a trained model into service."""
        form = DeploySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        model = trained_model_get(user=request.user, model_id=form.validated_data["model_id"])
        deployment = services.deployment_create(
            owner=request.user, model=model, target=form.validated_data["target"]
        )
        return Response(DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeploymentSerializer})
    @action(detail=True, methods=["post"])
    def undeploy(self, request: Request, pk=None) -> Response:
        """Take a deployment out of service."""
        deployment = services.deployment_undeploy(deployment=self.get_object())
        return Response(DeploymentSerializer(deployment).data)


class PredictionViewSet(viewsets.GenericViewSet):
    """Predictions from deployed models."""

    serializer_class = SinglePredictionSerializer

    @extend_schema(
        request=SinglePredictionSerializer,
        responses={200: SinglePredictionResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def single(self, request: Request) -> Response:
        """Predict one row or a list of rows."""
        form = SinglePredictionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        answer = services.predict_rows(  # the model comes from the serving cache
            user=request.user,
            model_id=data["model_id"],
            data=data["data"],
            return_probabilities=data["return_probabilities"],
        )
        return Response(answer)

    @extend_schema(request=ForecastSerializer, responses={200: ForecastResultSerializer})
    @action(detail=False, methods=["post"])
    def forecast(self, request: Request) -> Response:
        """The next `horizon` timestamps with forecasts and prediction intervals."""
        form = ForecastSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        model = trained_model_get(user=request.user, model_id=data["model_id"])
        answer = services.forecast(
            user=request.user,
            model=model,
            horizon=data.get("horizon"),
            levels=data.get("level"),
            series_id=data.get("series_id"),
            observations=data.get("observations"),
        )
        return Response(answer)

    @extend_schema(
        request={"multipart/form-data": BatchStartSerializer},
        responses={202: BatchJobSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def batch(self, request: Request) -> Response:
        """Queue scoring of an uploaded file; answers 202 with the job.

        The file's first chunk is read at once: model columns it lacks (`missing_columns`) or
        values its number, boolean or date columns cannot read (`unreadable_values`, with
        `errors` per column:
        how many, and the first with its row) are a 400 and nothing is stored. Such values
        further on fail the job with the same reason and no result; empty cells are missing
        values."""
        form = BatchStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        model = trained_model_get(user=request.user, model_id=form.validated_data["model_id"])
        job = services.batch_start(
            owner=request.user,
            model=model,
            upload=form.validated_data["file"],
            columns=form.validated_data.get("columns"),
            probabilities=form.validated_data["include_probabilities"],
        )
        return Response(BatchJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: BatchJobSerializer})
    @action(detail=False, methods=["get"], url_path=r"batch/(?P<job_id>[0-9a-fA-F-]{32,36})")
    def batch_status(self, request: Request, job_id=None) -> Response:
        """Status and progress of a batch job."""
        return Response(
            BatchJobSerializer(selectors.batch_job_get(user=request.user, job_id=job_id)).data
        )

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY, "the result CSV")})
    @action(
        detail=False, methods=["get"], url_path=r"batch/(?P<job_id>[0-9a-fA-F-]{32,36})/download"
    )
    def batch_download(self, request: Request, job_id=None) -> FileResponse:
        """The result CSV: input columns plus `prediction` (and `proba_<class>`)."""
        job = selectors.batch_job_get(user=request.user, job_id=job_id)
        if job.status == BatchJob.Status.FAILED:
            reason = f" ({job.error})" if job.error else ""
            raise Conflict(
                f"The batch job {job.status}{reason}; it has no result.", code="result_not_ready"
            )
        if job.status != BatchJob.Status.COMPLETED or not job.result_file:
            raise Conflict("The batch job has no result yet.", code="result_not_ready")
        from django.core.files.storage import default_storage

        return FileResponse(
            default_storage.open(job.result_file, "rb"),
            as_attachment=True,
            filename=f"predictions-{job.pk}.csv",
            content_type="text/csv",
        )

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="FeedbackBody",
            serializers=[
                FeedbackSerializer,
                ForecastFeedbackSerializer,
                ForecastFeedbackSerializer(many=True),
            ],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: PolymorphicProxySerializer(
                component_name="FeedbackAnswer",
                serializers=[FeedbackResultSerializer, ForecastFeedbackResultSerializer],
                resource_type_field_name=None,
            )
        },
    )
    @action(detail=False, methods=["post"])
    def feedback(self, request: Request) -> Response:
        """Record the ground truth of a served prediction, or actuals of a forecasting model
        (`{model_id, timestamp, actual, series_id?}` or a list of them)."""
        body = request.data
        if isinstance(body, list) or (
            isinstance(body, dict) and "model_id" in body and "prediction_id" not in body
        ):
            # One object is checked as one (errors keyed by field, not by list position).
            single = isinstance(body, dict)
            items = ForecastFeedbackSerializer(data=body, many=not single)
            items.is_valid(raise_exception=True)
            actuals = services.forecast_feedback(
                user=request.user,
                items=[items.validated_data] if single else items.validated_data,
                single=single,
            )
            return Response(
                {"count": len(actuals), "actuals": actuals}, status=status.HTTP_201_CREATED
            )
        form = FeedbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = services.prediction_feedback(user=request.user, **form.validated_data)
        return Response(
            {"prediction_id": str(record.pk), "actual": record.actual},
            status=status.HTTP_201_CREATED,
        )
