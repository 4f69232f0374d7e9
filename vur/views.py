"""Server-rendered pages wired at the project level: the dashboard and a health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from datasets.selectors import dataset_list
from modeling.selectors import trained_model_list
from pipelines.selectors import pipeline_list
from training.selectors import training_job_list


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in user's datasets, pipelines, recent jobs and best models, with links onward."""
    user = request.user
    context = {
        "datasets": dataset_list(user=user)[:20],
        "pipelines": pipeline_list(user=user)[:20],
        "jobs": training_job_list(user=user).select_related("pipeline")[:10],
        "models": trained_model_list(user=user).filter(rank=1).select_related("pipeline")[:10],
    }
    return render(request, "dashboard/index.html", context)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and Redis, for load balancers and the run script."""
    from django.core.cache import cache

    status = {"database": "ok", "redis": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["database"] = "error"
    try:
        cache.set("vur:health", "1", 5)
    except Exception:
        status["redis"] = "error"
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(
        {"status": "healthy" if healthy else "error", **status}, status=200 if healthy else 503
    )
