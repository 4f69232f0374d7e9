"""Dashboard endpoints: stats, recent activity and quick actions."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from monitoring import services


class ActivityQuerySerializer(serializers.Serializer):
    """Paging of recent activity."""

    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)
    offset = serializers.IntegerField(min_value=0, default=0)


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

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], url_path="quick-actions")
    def quick_actions(self, request: Request) -> Response:
        """Next steps for the user's pipelines."""
        return Response(services.quick_actions(user=request.user))
