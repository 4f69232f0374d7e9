"""Dashboard figures and activity across every stage, for one user."""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from datasets.selectors import dataset_list
from modeling.selectors import trained_model_list
from pipelines.selectors import pipeline_list
from predictions.models import Deployment, PredictionRecord
from training.selectors import training_job_list
from vur.models import owned_by

GB = 1024**3


def dashboard_stats(*, user) -> dict[str, Any]:
    """Counts, storage use and health for the dashboard's header."""
    datasets = dataset_list(user=user)
    pipelines = pipeline_list(user=user)
    jobs = training_job_list(user=user)
    predictions = owned_by(PredictionRecord.objects.all(), user)
    week_ago = timezone.now() - timedelta(days=7)
    used = datasets.aggregate(total=Sum("size_bytes"))["total"] or 0
    try:
        limit = shutil.disk_usage(settings.MEDIA_ROOT).total
    except OSError:
        limit = 0
    failed_recent = jobs.filter(status="failed", created_at__gte=week_ago).count()
    recent_jobs = jobs.filter(created_at__gte=week_ago).count()
    if recent_jobs and failed_recent / recent_jobs > 0.5:
        health = "error"
    elif failed_recent:
        health = "warning"
    else:
        health = "healthy"
    stamps = [
        qs.order_by("-created_at").values_list("created_at", flat=True).first()
        for qs in (datasets, pipelines, jobs, predictions)
    ]
    stamps = [s for s in stamps if s]
    return {
        "total_pipelines": pipelines.count(),
        "active_pipelines": pipelines.exclude(status__in=["draft", "failed"]).count(),
        "total_datasets": datasets.count(),
        "total_models": trained_model_list(user=user).count(),
        "recent_predictions": predictions.filter(created_at__gte=week_ago).count(),
        "system_health": health,
        "storage_used": round(used / GB, 6),
        "storage_limit": round(limit / GB, 3),
        "last_activity": max(stamps).isoformat() if stamps else None,
        "user_activity_score": min(
            1.0, round((recent_jobs + datasets.filter(created_at__gte=week_ago).count()) / 20, 3)
        ),
    }


def recent_activity(*, user, limit: int, offset: int) -> dict[str, Any]:
    """Uploads, training runs, deployments and predictions, newest first."""
    items: list[dict[str, Any]] = []
    cap = offset + limit + 1
    for d in dataset_list(user=user)[:cap]:
        items.append(
            {
                "id": f"dataset-{d.pk}",
                "type": "upload",
                "title": f"Uploaded {d.name}",
                "description": f"{d.num_rows} rows, {d.num_columns} columns",
                "status": "success" if d.status == "ready" else "error",
                "timestamp": d.created_at,
                "metadata": {"dataset_id": d.pk},
                "page_url": f"/datasets/{d.pk}/",
            }
        )
    status_map = {"completed": "success", "failed": "error", "cancelled": "error"}
    for j in training_job_list(user=user).select_related("pipeline")[:cap]:
        items.append(
            {
                "id": f"training-{j.pk}",
                "type": "training",
                "title": f"Training {j.pipeline.name}",
                "description": j.error or j.status,
                "status": status_map.get(j.status, "in_progress"),
                "timestamp": j.created_at,
                "metadata": {"job_id": str(j.pk), "pipeline_id": j.pipeline_id},
                "page_url": f"/training/{j.pk}/",
            }
        )
    for dep in owned_by(Deployment.objects.select_related("model"), user)[:cap]:
        items.append(
            {
                "id": f"deployment-{dep.pk}",
                "type": "deployment",
                "title": f"Deployed {dep.model.algorithm}",
                "description": f"target {dep.target}",
                "status": "success",
                "timestamp": dep.deployed_at,
                "metadata": {"model_id": dep.model_id},
                "page_url": f"/models/{dep.model_id}/",
            }
        )
    for p in owned_by(PredictionRecord.objects.all(), user)[:cap]:
        items.append(
            {
                "id": f"prediction-{p.pk}",
                "type": "prediction",
                "title": "Prediction served",
                "description": p.source,
                "status": "success",
                "timestamp": p.created_at,
                "metadata": {"model_id": p.model_id},
                "page_url": f"/models/{p.model_id}/",
            }
        )
    items.sort(key=lambda a: a["timestamp"], reverse=True)
    page = items[offset : offset + limit]
    for item in page:
        item["timestamp"] = item["timestamp"].isoformat()
    return {"activities": page, "total_count": len(items), "has_more": len(items) > offset + limit}


def quick_actions(*, user) -> list[dict[str, str]]:
    """Next steps based on where the user's pipelines stand: `url` is the API call, `page_url`
    the web page that does it."""
    actions: list[dict[str, str]] = []
    if not dataset_list(user=user).exists():
        return [
            {
                "id": "upload",
                "title": "Upload a dataset",
                "description": "CSV, XLSX, JSON or Parquet.",
                "url": "/api/v1/datasets/upload",
                "page_url": "/datasets/upload/",
            }
        ]
    if not pipeline_list(user=user).exists():
        actions.append(
            {
                "id": "create-pipeline",
                "title": "Create a pipeline",
                "description": "Pick a dataset, a target and a problem type.",
                "url": "/api/v1/pipelines/",
                "page_url": "/pipelines/new/",
            }
        )
    for p in pipeline_list(user=user)[:5]:
        if p.status in ("draft", "configured"):
            actions.append(
                {
                    "id": f"train-{p.pk}",
                    "title": f"Train {p.name}",
                    "description": "Start AutoML on this pipeline.",
                    "url": "/api/v1/training/start",
                    "page_url": f"/pipelines/{p.pk}/",
                }
            )
        elif p.status == "trained":
            best = trained_model_list(user=user, pipeline_id=p.pk).first()
            actions.append(
                {
                    "id": f"deploy-{p.pk}",
                    "title": f"Deploy the best model of {p.name}",
                    "description": "Put rank 1 into service.",
                    "url": "/api/v1/deployment/deploy",
                    "page_url": f"/models/{best.pk}/" if best else f"/pipelines/{p.pk}/",
                }
            )
    actions.append(
        {
            "id": "upload",
            "title": "Upload another dataset",
            "description": "CSV, XLSX, JSON or Parquet.",
            "url": "/api/v1/datasets/upload",
            "page_url": "/datasets/upload/",
        }
    )
    return actions
