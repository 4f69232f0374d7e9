"""Prometheus metrics at `/metrics`: request counts and latencies per view (this web process),
and, read at scrape time from the database and Redis (so every process and worker is counted),
predictions served per model and channel, training jobs by status and Celery queue lengths.

Labels carry view names, methods, status codes, model ids and channels: never user data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

QUEUES = ("training", "scoring")

registry = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "vur_http_requests",
    "HTTP requests answered, per view, method and status code.",
    ["view", "method", "status"],
    registry=registry,
)
LATENCY = Histogram(
    "vur_http_request_duration_seconds",
    "Time to answer an HTTP request, per view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=registry,
)


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match.route or "<unnamed>"


class RequestMetricsMiddleware:
    """Counts each request and times it, labelled by the resolved view (not the raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        if view != "metrics":
            LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
            REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        return response


class StoreCollector:
    """Figures read at scrape time from the database and Redis."""

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator:
        yield from self._predictions()
        yield from self._jobs()
        yield from self._queues()

    def _predictions(self) -> Iterator:
        from predictions.logbook import prediction_log
        from predictions.models import PredictionRollup

        prediction_log.flush()
        served = CounterMetricFamily(
            "vur_predictions_served",
            "Predictions served (rows), per model id and channel (rest, websocket, batch).",
            labels=["model_id", "channel"],
        )
        failed = CounterMetricFamily(
            "vur_prediction_errors",
            "Prediction requests that failed, per model id and channel.",
            labels=["model_id", "channel"],
        )
        rows = (
            PredictionRollup.objects.filter(resolution=3600)
            .values("model_id", "channel")
            .annotate(n=Sum("count"), e=Sum("errors"))
            .order_by()
        )
        for row in rows:
            served.add_metric([str(row["model_id"]), row["channel"]], float(row["n"] or 0))
            failed.add_metric([str(row["model_id"]), row["channel"]], float(row["e"] or 0))
        yield served
        yield failed

    def _jobs(self) -> Iterator:
        from training.models import TrainingJob

        family = GaugeMetricFamily(
            "vur_training_jobs", "Training jobs by status.", labels=["status"]
        )
        counts = dict(TrainingJob.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in TrainingJob.Status.values:
            family.add_metric([status], float(counts.get(status, 0)))
        yield family

    def _queues(self) -> Iterator:
        family = GaugeMetricFamily(
            "vur_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        up = GaugeMetricFamily("vur_redis_up", "1 when Redis answered the last scrape.")
        try:
            client = redis_client()
            prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix") or ""
            for queue in QUEUES:
                family.add_metric([queue], float(client.llen(f"{prefix}{queue}")))
            up.add_metric([], 1.0)
        except Exception:
            logger.exception("metrics: the queue lengths could not be read from Redis")
            up.add_metric([], 0.0)
        yield family
        yield up


def redis_client():
    """A Redis client on the broker with short timeouts (health checks and scrapes never hang)."""
    import redis

    timeout = settings.VUR_HEALTH_TIMEOUT_S
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout
    )


registry.register(StoreCollector())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of every VUR metric."""
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
