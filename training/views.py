"""Training endpoints: start, list, status, logs (SSE or JSON), per-epoch metrics, cancel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from channels.db import database_sync_to_async
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from modeling.selectors import model_config_get
from pipelines.selectors import pipeline_get
from training import selectors, services
from training.events import event_dict
from training.models import TrainingJob
from training.serializers import (
    EpochMetricSerializer,
    TrainingEventSerializer,
    TrainingJobListQuerySerializer,
    TrainingJobSerializer,
    TrainingStartSerializer,
)
from vur.params import list_filters

SSE_POLL_S = 0.3
SSE_KEEPALIVE_S = 15.0


class EventStreamRenderer(renderers.BaseRenderer):
    """Lets content negotiation accept `text/event-stream` for the SSE action."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


def _sse(event: dict) -> str:
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"


async def stream_job_events(job_id, after: int = 0) -> AsyncIterator[str]:
    """Yield the job's stored events as SSE messages, then new ones; end when the job ends."""

    # database_sync_to_async hands the connection back to the pool after each poll, so a
    # stream that lasts an hour does not hold one of the process's few connections.
    @database_sync_to_async
    def fetch(last: int):
        # Status first, events second: a job's terminal status and its final status event
        # commit together, so once the status read says "ended" the event read has the end.
        job_status = TrainingJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        events = [event_dict(e) for e in selectors.training_events_after(job_id=job_id, after=last)]
        return events, job_status

    @database_sync_to_async
    def unsent_statuses(sent: set[int]) -> list[dict]:
        # Events commit in commit order, not always seq order: a final status stored with a
        # lower seq than a line already sent (e.g. "Cancel requested.") is still sent.
        rows = selectors.training_events_after(job_id=job_id, after=after).filter(kind="status")
        return [event_dict(e) for e in rows.exclude(pk__in=sent)]

    last = after
    idle = 0.0
    sent_statuses: set[int] = set()
    yield "retry: 2000\n\n"
    while True:
        events, job_status = await fetch(last)
        for event in events:
            last = event["seq"]
            if event["type"] == "status":
                sent_statuses.add(event["seq"])
            yield _sse(event)
        if job_status is None or job_status in TrainingJob.TERMINAL:
            for event in await unsent_statuses(sent_statuses):
                yield _sse(event)
            yield f"event: end\ndata: {json.dumps({'type': 'end', 'status': job_status})}\n\n"
            return
        await asyncio.sleep(SSE_POLL_S)
        idle += SSE_POLL_S
        if idle >= SSE_KEEPALIVE_S:
            idle = 0.0
            yield ": keep-alive\n\n"


class TrainingJobViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Training jobs of the signed-in user (staff see all)."""

    serializer_class = TrainingJobSerializer
    lookup_field = "pk"
    lookup_url_kwarg = "job_id"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            filters = list_filters(TrainingJobListQuerySerializer, self.request.query_params)
        return selectors.training_job_list(user=self.request.user, **filters)

    @extend_schema(parameters=[TrainingJobListQuerySerializer])
    def list(self, request: Request, *args, **kwargs) -> Response:
        """The user's training jobs, newest first (paginated), optionally filtered."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=TrainingStartSerializer, responses={202: TrainingJobSerializer})
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        """Queue a training job for a pipeline; answers 202 with the job at once."""
        form = TrainingStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        pipeline = pipeline_get(user=request.user, pipeline_id=data.pop("pipeline_id"))
        extra = data.pop("training_config", {}) or {}
        config = {**extra, **data}
        if isinstance(data.get("model_config"), int):
            config["model_config"] = model_config_get(
                user=request.user, config_id=data["model_config"]
            )
        job = services.training_job_start(pipeline=pipeline, user=request.user, config=config)
        return Response(TrainingJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: TrainingJobSerializer})
    def retrieve(self, request: Request, job_id=None) -> Response:
        return Response(TrainingJobSerializer(self.get_object()).data)

    @extend_schema(responses={200: TrainingJobSerializer})
    @action(detail=True, methods=["get"], url_path="status", url_name="status")
    def job_status(self, request: Request, job_id=None) -> Response:
        """Status, progress, current epoch, best metric and time remaining."""
        return Response(TrainingJobSerializer(self.get_object()).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json"], description="json: stored lines, paginated"
            ),
            OpenApiParameter(
                "after", int, description="SSE: only events after this sequence number"
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR, description="one JSON event per message, ends with the job"
            ),
            (200, "application/json"): TrainingEventSerializer(many=True),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, EventStreamRenderer],
    )
    def logs(self, request: Request, job_id=None):
        """Server-Sent Events of the job until it ends; `?format=json` pages the stored ones."""
        job = self.get_object()
        if request.query_params.get("format") == "json":
            page = self.paginate_queryset(selectors.training_events_after(job_id=job.pk))
            return self.get_paginated_response(TrainingEventSerializer(page, many=True).data)
        after = request.query_params.get("after") or request.headers.get("Last-Event-ID") or "0"
        response = StreamingHttpResponse(
            stream_job_events(job.pk, int(after) if after.isdigit() else 0),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response

    @extend_schema(responses={200: EpochMetricSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def metrics(self, request: Request, job_id=None) -> Response:
        """Per-epoch train/validation losses and metrics of the job's iterative algorithms."""
        job = self.get_object()
        return Response(EpochMetricSerializer(job.epoch_metrics.all(), many=True).data)

    @extend_schema(request=None, responses={200: TrainingJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, job_id=None) -> Response:
        """Stop the job; it ends "cancelled" and leaves no model behind."""
        job = services.training_job_cancel(job=self.get_object())
        return Response(TrainingJobSerializer(job).data)
