"""Dashboard and monitoring endpoints: stats, activity, quick actions; model metrics, drift
detection and alerts."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from modeling.selectors import trained_model_get
from monitoring import selectors, services
from monitoring.serializers import (
    AlertQuerySerializer,
    AlertSerializer,
    DriftDetectSerializer,
    DriftResultSerializer,
    MetricsQuerySerializer,
    ModelMetricsSerializer,
)


class ActivityQuerySerializer(serializers.Serializer):
    """Paging of recent activity."""

    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)


class QuickActionSerializer(serializers.Serializer):
    """One suggested next step (the answer is a list of them, as the contract says)."""

    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()


class DashboardViewSet(viewsets.ViewSet):
    """The dashboard stage."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        """Counts, storage use and system health."""
        return Response(services.dashboard_stats(user=request.user))

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], url_path="recent-activity")
    def recent_activity(self, request: Request) -> Response:
        """Uploads, training runs, deployments and predictions, newest first."""
        query = ActivityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(services.recent_activity(user=request.user, **query.validated_data))

    @extend_schema(responses={200: QuickActionSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="quick-actions")
    def quick_actions(self, request: Request) -> Response:
        """Next steps for the user's pipelines."""
        return Response(services.quick_actions(user=request.user))


class MonitoringViewSet(viewsets.ViewSet):
    """Live metrics of a model and drift detection."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "window",
                str,
                description="A number and a unit m, h or d, from 5m to 90d (default 24h).",
            )
        ],
        responses={200: ModelMetricsSerializer},
    )
    @action(detail=False, methods=["get"], url_path=r"models/(?P<model_id>\d+)/metrics")
    def model_metrics(self, request: Request, model_id=None) -> Response:
        """Counts, latency, error rate, live metrics from feedback and a timeline over a window;
        for forecasters also error by step and interval coverage."""
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        model = trained_model_get(user=request.user, model_id=model_id)
        return Response(services.model_metrics(model=model, window=query.validated_data["window"]))

    @extend_schema(request=DriftDetectSerializer, responses={200: DriftResultSerializer})
    @action(detail=False, methods=["post"], url_path="drift-detection")
    def drift_detection(self, request: Request) -> Response:
        """Per-feature drift between the model's training reference and recent predictions
        (`window`) or an uploaded dataset (`dataset_id`)."""
        form = DriftDetectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        model = trained_model_get(user=request.user, model_id=data["model_id"])
        return Response(
            services.drift_detect(
                user=request.user,
                model=model,
                dataset_id=data.get("dataset_id"),
                window=data.get("window"),
                alpha=data.get("alpha"),
            )
        )


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts raised by the periodic checks; acknowledge them one by one."""

    serializer_class = AlertSerializer

    def get_queryset(self):
        query = AlertQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.alert_list(user=self.request.user, **query.validated_data)

    @extend_schema(
        parameters=[
            OpenApiParameter("acknowledged", bool),
            OpenApiParameter("model_id", int),
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        """The user's alerts, newest first (paginated)."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk=None) -> Response:
        """Acknowledge an alert (repeating is harmless)."""
        alert = services.alert_acknowledge(
            alert=selectors.alert_get(user=request.user, alert_id=pk)
        )
        return Response(AlertSerializer(alert).data)
