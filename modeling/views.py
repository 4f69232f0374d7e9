"""Model-selection endpoints: algorithm catalogue, config validation, configs, trained models."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from modeling import catalog, selectors, services
from modeling.serializers import (
    AlgorithmQuerySerializer,
    AlgorithmSerializer,
    ConfigureSerializer,
    ModelConfigSerializer,
    TrainedModelListQuerySerializer,
    TrainedModelSerializer,
    ValidateConfigResultSerializer,
    ValidateConfigSerializer,
)
from pipelines.selectors import pipeline_get
from vur.params import list_filters, query_id


class ModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trained models (the leaderboard) plus the catalogue and config actions."""

    serializer_class = TrainedModelSerializer

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            filters = list_filters(TrainedModelListQuerySerializer, self.request.query_params)
        return selectors.trained_model_list(user=self.request.user, **filters)

    @extend_schema(parameters=[TrainedModelListQuerySerializer])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[AlgorithmQuerySerializer], responses={200: AlgorithmSerializer(many=True)}
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def algorithms(self, request: Request) -> Response:
        """The algorithm catalogue with a hyperparameter schema per algorithm."""
        query = AlgorithmQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        problem_type = query.validated_data.get("problem_type")
        specs = (
            catalog.algorithms_for(problem_type)
            if problem_type
            else list(catalog.ALGORITHMS.values())
        )
        return Response([spec.as_dict() for spec in specs])

    @extend_schema(
        request=ValidateConfigSerializer, responses={200: ValidateConfigResultSerializer}
    )
    @action(detail=False, methods=["post"], url_path="validate-config")
    def validate_config(self, request: Request) -> Response:
        """Check an algorithm's hyperparameters; one message per bad parameter."""
        form = ValidateConfigSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        errors = services.algorithm_config_errors(
            data["algorithm"], data.get("hyperparameters"), data.get("problem_type")
        )
        return Response({"valid": not errors, "errors": errors})

    @extend_schema(request=ConfigureSerializer, responses={201: ModelConfigSerializer})
    @action(detail=False, methods=["post"])
    def configure(self, request: Request) -> Response:
        """Save an algorithm config (with an optional search) on a pipeline."""
        form = ConfigureSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        pipeline = pipeline_get(user=request.user, pipeline_id=data["pipeline_id"])
        config = services.model_config_create(
            owner=request.user,
            pipeline=pipeline,
            algorithm=data["algorithm"],
            hyperparameters=data.get("hyperparameters") or {},
            search=data.get("search"),
        )
        return Response(ModelConfigSerializer(config).data, status=status.HTTP_201_CREATED)


class FeatureImportanceView(viewsets.ViewSet):
    """`features/importance`: served here because it reads trained models."""

    @extend_schema(
        parameters=[OpenApiParameter("pipeline_id", int), OpenApiParameter("model_id", int)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request: Request) -> Response:
        """Feature importances, largest first."""
        from vur.errors import InvalidInput

        given = {k: request.query_params.get(k) for k in ("model_id", "pipeline_id")}
        ids = {k: query_id(v) for k, v in given.items()}
        if not any(given.values()) or any(v and ids[k] is None for k, v in given.items()):
            raise InvalidInput("Give ?model_id= or ?pipeline_id= as an integer.", code="bad_query")
        return Response(services.feature_importance(user=request.user, **ids))
