"""The monitoring stage: dashboard figures, live model metrics from the prediction log, drift
against training references, alerts and the periodic checks that raise them."""

from __future__ import annotations

import logging
import math
import re
import shutil
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from datasets import profiling
from datasets.jsonsafe import json_safe
from datasets.models import Dataset
from datasets.selectors import dataset_get, dataset_list
from datasets.services import dataset_frame
from modeling.metrics import error_metrics
from modeling.models import TrainedModel
from modeling.selectors import trained_model_list
from modeling.templatetags.modeling_labels import model_name
from monitoring.drift import DriftSettings, column_drift, frame_drift
from monitoring.models import Alert, ModelReference
from pipelines.models import Pipeline
from pipelines.selectors import pipeline_list
from predictions.logbook import (
    AUC_BINS,
    RESOLUTIONS,
    bucket_start,
    latency_bucket,
    latency_bucket_value,
    merge_class_stats,
    prediction_log,
)
from predictions.models import Deployment, ForecastActual, PredictionRecord, PredictionRollup
from predictions.templatetags.deployment_labels import target_label
from training import reference_store
from training.models import TrainingJob
from training.reference import level_key
from training.selectors import training_job_list
from vur.errors import Conflict, InvalidInput, VURError
from vur.models import owned_by

logger = logging.getLogger(__name__)

GB = 1024**3


def health_reason(failed_runs: int, runs: int, open_alerts: int) -> str:
    """Why the health badge says what it says, in the words of its inputs: the training runs of
    the last 7 days that failed, and the open alerts."""
    reasons = []
    if failed_runs:
        reasons.append(f"{failed_runs} of {runs} training runs failed")
    if open_alerts:
        reasons.append(f"{open_alerts} open alert{'s' if open_alerts != 1 else ''}")
    return "; ".join(reasons) or "no failed training runs or open alerts"


def dashboard_stats(*, user, explain: bool = False) -> dict[str, Any]:
    """Counts, storage use and health for the dashboard's header; `explain` adds the badge's
    reason (`health_reason`, from the same counts) for the dashboard page."""
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
    failed_recent = jobs.filter(status=TrainingJob.Status.FAILED, created_at__gte=week_ago).count()
    recent_jobs = jobs.filter(created_at__gte=week_ago).count()
    if recent_jobs and failed_recent / recent_jobs > 0.5:
        health = "error"
    elif failed_recent:
        health = "warning"
    else:
        health = "healthy"
    open_alerts = owned_by(Alert.objects.filter(acknowledged=False), user).count()
    if open_alerts and health == "healthy":
        health = "warning"
    # Rows served from the rollups (a batch chunk counts its rows), plus forecasts.
    rollups = PredictionRollup.objects.filter(resolution=3600, bucket__gte=week_ago)
    if not user.is_staff:
        rollups = rollups.filter(model__owner=user)
    served = rollups.aggregate(n=Sum("count"))["n"] or 0
    served += predictions.filter(source="forecast", created_at__gte=week_ago).count()
    stamps = [
        qs.order_by("-created_at").values_list("created_at", flat=True).first()
        for qs in (datasets, pipelines, jobs, predictions)
    ]
    known = [s for s in stamps if s is not None]
    stats: dict[str, Any] = {
        "total_pipelines": pipelines.count(),
        # Active: has models or a run under way (a pipeline whose every run failed has none).
        "active_pipelines": pipelines.filter(
            status__in=[Pipeline.Status.TRAINING, Pipeline.Status.TRAINED, Pipeline.Status.DEPLOYED]
        ).count(),
        "total_datasets": datasets.count(),
        "total_models": trained_model_list(user=user).count(),
        "recent_predictions": served,
        "open_alerts": open_alerts,
        "system_health": health,
        "storage_used": round(used / GB, 6),
        "storage_limit": round(limit / GB, 3),
        "last_activity": max(known).isoformat() if known else None,
        "user_activity_score": min(
            1.0, round((recent_jobs + datasets.filter(created_at__gte=week_ago).count()) / 20, 3)
        ),
    }
    if explain:
        stats["health_reason"] = health_reason(failed_recent, recent_jobs, open_alerts)
    return stats


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
                "status": "success" if d.status == Dataset.Status.READY else "error",
                "timestamp": d.created_at,
                "metadata": {"dataset_id": d.pk},
                "page_url": f"/datasets/{d.pk}/",
            }
        )
    status_map: dict[str, str] = {
        TrainingJob.Status.COMPLETED: "success",
        TrainingJob.Status.FAILED: "error",
        TrainingJob.Status.CANCELLED: "error",
    }
    for j in training_job_list(user=user).select_related("pipeline")[:cap]:
        items.append(
            {
                "id": f"training-{j.pk}",
                "type": "training",
                "title": f"Training {j.pipeline.name}",
                "description": j.error or j.status,
                "status": status_map.get(j.status, "in_progress"),
                "timestamp": j.created_at,
                "metadata": {
                    "job_id": str(j.pk),
                    "pipeline_id": j.pipeline_id,
                    "job_status": j.status,
                },
                "page_url": f"/training/{j.pk}/",
            }
        )
    for dep in owned_by(Deployment.objects.select_related("model__pipeline"), user)[:cap]:
        items.append(
            {
                "id": f"deployment-{dep.pk}",
                "type": "deployment",
                "title": f"Deployed {model_name(dep.model)}",
                "description": f"for the {target_label(dep.target)}",
                "status": "success",
                "timestamp": dep.deployed_at,
                "metadata": {"model_id": dep.model_id},
                "page_url": f"/models/{dep.model_id}/",
            }
        )
    items.extend(_prediction_activity(user, cap))
    items.sort(key=lambda a: a["timestamp"], reverse=True)
    page = items[offset : offset + limit]
    for item in page:
        item["timestamp"] = item["timestamp"].isoformat()
    return {"activities": page, "total_count": len(items), "has_more": len(items) > offset + limit}


_CHANNEL_WORDS = {"rest": "REST API", "websocket": "stream", "batch": "batch files",
                  "forecast": "forecasts"}  # fmt: skip


def _prediction_activity(user, cap: int) -> list[dict[str, Any]]:
    """Predictions as one activity per model and hour ("132 predictions served by model 7"),
    read from the hourly rollups (plus forecasts, which are not rolled up), not one per row."""
    rollups = PredictionRollup.objects.filter(resolution=3600)
    if not user.is_staff:
        rollups = rollups.filter(model__owner=user)
    groups: dict[tuple, Counter] = {}
    rows = rollups.values("model_id", "bucket", "channel").annotate(n=Sum("count"))
    for row in rows.order_by("-bucket")[: cap * 3]:
        groups.setdefault((row["model_id"], row["bucket"]), Counter())[row["channel"]] += row["n"]
    forecasts = owned_by(PredictionRecord.objects.filter(source="forecast"), user)
    for p in forecasts.order_by("-created_at").values("model_id", "created_at")[: cap * 50]:
        hour = bucket_start(p["created_at"], 3600)
        groups.setdefault((p["model_id"], hour), Counter())["forecast"] += 1
    newest = sorted(groups.items(), key=lambda kv: kv[0][1], reverse=True)[:cap]
    ids = {model_id for (model_id, _hour), _counts in newest}
    names = {
        m.pk: model_name(m)
        for m in TrainedModel.objects.filter(pk__in=ids).select_related("pipeline")
    }
    items = []
    for (model_id, hour), by_channel in newest:
        total = sum(by_channel.values())
        plural = "s" if total != 1 else ""
        ways = ", ".join(
            f"{n:,} by {_CHANNEL_WORDS.get(c, c)}" for c, n in by_channel.most_common()
        )
        served_by = names.get(model_id, f"model {model_id}")
        items.append(
            {
                "id": f"predictions-{model_id}-{int(hour.timestamp())}",
                "type": "prediction",
                "title": f"{total:,} prediction{plural} served by {served_by}",
                "description": f"{ways} in the hour from {hour:%H:%M} UTC",
                "status": "success",
                "timestamp": hour,
                "metadata": {"model_id": model_id, "count": total, "hour": hour.isoformat()},
                "page_url": f"/models/{model_id}/",
            }
        )
    return items


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
        last = training_job_list(user=user).filter(pipeline=p).order_by("-created_at").first()
        failed = last is not None and last.status == TrainingJob.Status.FAILED
        if failed and p.status in (Pipeline.Status.DRAFT, Pipeline.Status.CONFIGURED):
            # Training again as it is would fail again: the setup needs a change first.
            reason = (last.error or "").strip() if last is not None else ""
            reason = reason if len(reason) <= 160 else reason[:159] + "…"
            actions.append(
                {
                    "id": f"fix-{p.pk}",
                    "title": f"Fix the setup of {p.name}",
                    "description": f"Its last training failed: {reason or 'see the job page'}",
                    "url": f"/api/v1/pipelines/{p.pk}/",
                    "page_url": f"/pipelines/{p.pk}/wizard/setup/",
                }
            )
        elif p.status in (Pipeline.Status.DRAFT, Pipeline.Status.CONFIGURED):
            actions.append(
                {
                    "id": f"train-{p.pk}",
                    "title": f"Train {p.name}",
                    "description": "Start AutoML on this pipeline.",
                    "url": "/api/v1/training/start",
                    "page_url": f"/pipelines/{p.pk}/",
                }
            )
        elif p.status == Pipeline.Status.TRAINED:
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


# ============================================================================ the monitoring stage
# Windows, references, live metrics, drift, alerts and the periodic checks. Reads of the
# prediction log go through the per-bucket rollups, so their cost does not grow with traffic.

WINDOW_RE = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$")
WINDOW_UNITS = {"m": 60, "h": 3600, "d": 86400}
MIN_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(days=90)
DRIFT_ROWS = 5_000
DRIFT_BATCH_CHUNKS = 200
FORECAST_RECORDS = 5_000
FORECAST_ACTUALS = 50_000
DATASET_DRIFT_ROWS = 100_000


def parse_window(text: str | None) -> timedelta:
    """A window like `30m`, `1h`, `24h`, `7d`, `30d` (5 minutes to 90 days); InvalidInput else."""
    match = WINDOW_RE.match(str(text or ""))
    span = timedelta(seconds=int(match[1]) * WINDOW_UNITS[match[2]]) if match else None
    if span is None or not MIN_WINDOW <= span <= MAX_WINDOW:
        raise InvalidInput(
            f"window '{text}' is not valid: use a number and a unit m, h or d (e.g. 1h, 24h, "
            "7d, 30d), from 5m to 90d.",
            code="bad_window",
        )
    return span


TIMELINE_STEPS = (300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 259200)


def _grid(span: timedelta) -> tuple[int, int]:
    """Timeline step (at most ~30 points) and the coarsest rollup resolution dividing it."""
    seconds = int(span.total_seconds())
    step = next((s for s in TIMELINE_STEPS if seconds / s <= 31), TIMELINE_STEPS[-1])
    resolution = max(r for r in RESOLUTIONS if step % r == 0)
    return resolution, step


def _iso(stamp: datetime) -> str:
    return stamp.astimezone(UTC).isoformat()


# ---------------------------------------------------------------------------- references
def reference_get(*, model: TrainedModel) -> dict[str, Any]:
    """The model's monitoring reference: stored, read from its training-time file, or rebuilt
    from its dataset (then stored). Conflict (409) when none can be had."""
    row = ModelReference.objects.filter(model=model).only("data").first()
    if row is not None:
        return row.data
    data = reference_store.reference_load((model.card or {}).get("monitoring_reference", ""))
    source = ModelReference.Source.TRAINING
    if data is None:
        source = ModelReference.Source.DATASET
        try:
            data = reference_store.reference_rebuild(model)
        except VURError as exc:
            raise Conflict(
                f"The model has no reference and its dataset cannot be read: {exc.detail}",
                code="reference_unavailable",
            ) from None
        except Exception:
            logger.exception("reference of model %s could not be rebuilt", model.pk)
            raise Conflict(
                "The model has no reference and it could not be rebuilt from its dataset.",
                code="reference_unavailable",
            ) from None
    row, _ = ModelReference.objects.get_or_create(
        model=model, defaults={"source": source, "data": data}
    )
    return row.data


# ---------------------------------------------------------------------------- live metrics
def _percentiles(hist: Counter) -> dict[str, float | None]:
    total = sum(hist.values())
    out: dict[str, float | None] = {"p50": None, "p95": None, "p99": None}
    if not total:
        return out
    ordered = sorted(hist.items())
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        need, seen = q * total, 0
        for index, count in ordered:
            seen += count
            if seen >= need:
                out[name] = round(latency_bucket_value(index), 3)
                break
    return out


def _new_cell() -> dict[str, Any]:
    return {
        "count": 0,
        "errors": 0,
        "hist": Counter(),
        "feedback": 0,
        "correct": 0,
        "abs": 0.0,
        "sq": 0.0,
        "classes": {},
    }


def _add_row(cell: dict[str, Any], row: Mapping[str, Any]) -> None:
    cell["count"] += row["count"]
    cell["errors"] += row["errors"]
    cell["hist"].update({int(k): v for k, v in (row["latency_hist"] or {}).items()})
    cell["feedback"] += row["feedback_count"]
    cell["correct"] += row["correct_count"]
    cell["abs"] += row["abs_error_sum"]
    cell["sq"] += row["sq_error_sum"]
    merge_class_stats(cell["classes"], row.get("class_stats") or {})


def class_scores(stats: dict[str, Any], positive: str | None = None) -> dict[str, float | None]:
    """F1 and macro one-vs-rest AUC from per-class probability histograms (100 bins; ties
    within a bin count half). F1 is measured as the model's hold-out F1 is: of the `positive`
    class (a binary model's last class, as its `level_key`; 0 when it was neither actual nor
    predicted yet), else macro over the labels seen as actual or predicted."""
    f1s = []
    for label, entry in stats.items():
        if positive is not None and label != positive:
            continue
        tp, fp, fn = entry.get("tp", 0), entry.get("fp", 0), entry.get("fn", 0)
        if tp + fp + fn > 0:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    if positive is not None and stats and not f1s:
        f1s.append(0.0)
    aucs = []
    for entry in stats.values():
        pos = np.zeros(AUC_BINS)
        neg = np.zeros(AUC_BINS)
        for b, n in (entry.get("pos") or {}).items():
            pos[int(b)] += n
        for b, n in (entry.get("neg") or {}).items():
            neg[int(b)] += n
        if pos.sum() > 0 and neg.sum() > 0:
            below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
            aucs.append(float(np.sum(pos * (below + 0.5 * neg)) / (pos.sum() * neg.sum())))
    return {
        "f1": round(float(np.mean(f1s)), 6) if f1s else None,
        "auc": round(float(np.mean(aucs)), 6) if aucs else None,
    }


def auc_note(stats: dict[str, Any], n: int) -> str | None:
    """Why live AUC is unknown after `n` pieces of feedback (None when it is known or no
    feedback came): AUC ranks the rows of one class above the others by their probability, so
    it needs probabilities logged with the predictions and actuals of at least two classes."""
    if not n or class_scores(stats)["auc"] is not None:
        return None
    if not any(entry.get("pos") or entry.get("neg") for entry in stats.values()):
        return (
            "AUC needs the predictions' probabilities: the predictions with feedback were made "
            "without them (ask with return_probabilities)."
        )
    seen = sorted(label for label, entry in stats.items() if entry.get("pos"))
    # Each prediction with probabilities counts once among its actual class's positives.
    with_probabilities = int(sum(sum((e.get("pos") or {}).values()) for e in stats.values()))
    only = ""
    if len(seen) == 1 and with_probabilities >= n:
        only = f": every actual so far is {seen[0]}"
    elif len(seen) == 1:
        only = (
            f": the {with_probabilities} of {n} predictions with feedback that were made with "
            f"probabilities all have the actual {seen[0]} (ask with return_probabilities)"
        )
    return f"AUC needs feedback with actuals of at least two classes{only}."


def positive_class(model: TrainedModel) -> str | None:
    """A binary classifier's positive class (its last), as feedback counts it; None otherwise."""
    classes = model.classes or []
    if model.problem_type != Pipeline.ProblemType.CLASSIFICATION or len(classes) != 2:
        return None
    return level_key(classes[-1])


def _cell_metrics(
    cell: dict[str, Any], problem_type: str, positive: str | None = None
) -> dict[str, Any]:
    n = cell["feedback"]
    if problem_type == Pipeline.ProblemType.CLASSIFICATION:
        return {
            "n": n,
            "accuracy": round(cell["correct"] / n, 6) if n else None,
            **class_scores(cell["classes"], positive),
        }
    if problem_type == Pipeline.ProblemType.REGRESSION:
        return {
            "n": n,
            "mae": round(cell["abs"] / n, 6) if n else None,
            "rmse": round(math.sqrt(cell["sq"] / n), 6) if n else None,
        }
    return {"n": n}


def _error_rate(cell: dict[str, Any]) -> float | None:
    total = cell["count"] + cell["errors"]
    return round(cell["errors"] / total, 6) if total else None


def _epoch(value: Any) -> int | None:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1_000_000_000)


def forecast_errors(
    records: list[Any], actuals: dict[tuple[str, int], tuple[float, Any]]
) -> list[dict[str, Any]]:
    """Every (forecast, actual) pair: each forecast record's timestamps matched to the actuals
    received for its series. Pair: {step, error, series, arrived, inside: {level: bool}}.

    One pair per series, timestamp and step: the same forecast asked for again (a page
    reloaded, a client polling) comes from the same origin and state, and counting each
    request would weigh that origin by how often it was asked. `records` come newest first;
    the newest of each is kept."""
    pairs: list[dict[str, Any]] = []
    seen: set[tuple[str, int, int]] = set()
    for pred in records:
        if not isinstance(pred, dict):
            continue
        series = str(pred.get("series_id") or "")
        stamps = pred.get("timestamps") or []
        values = pred.get("forecast") or []
        intervals = pred.get("intervals") or {}
        for i, (stamp, value) in enumerate(zip(stamps, values, strict=False)):
            epoch = _epoch(stamp)
            if epoch is None or value is None or (series, epoch, i) in seen:
                continue
            hit = actuals.get((series, epoch))
            if hit is None:
                continue
            seen.add((series, epoch, i))
            actual, arrived = hit
            inside = {}
            for level, band in intervals.items():
                try:
                    inside[str(level)] = band["lower"][i] <= actual <= band["upper"][i]
                except (KeyError, IndexError, TypeError):
                    continue
            pairs.append(
                {
                    "step": i + 1,
                    "error": actual - float(value),
                    "series": series,
                    "arrived": arrived,
                    "inside": inside,
                }
            )
    return pairs


def forecast_summary(
    pairs: list[dict[str, Any]], scales: Mapping[str, float | None]
) -> dict[str, Any]:
    """Error by forecast step (n, MAE, and MASE over the pairs whose series has its scale; None
    when none has, `mase_note` says why) and coverage per interval level, over `pairs` from
    `forecast_errors`."""
    steps: dict[int, list[dict[str, Any]]] = {}
    levels: dict[str, list[bool]] = {}
    for pair in pairs:
        steps.setdefault(pair["step"], []).append(pair)
        for level, inside in pair["inside"].items():
            levels.setdefault(level, []).append(inside)
    by_horizon = []
    for step in sorted(steps):
        items = steps[step]
        errors = np.abs([p["error"] for p in items])
        # A series without a scale (constant in training) is left out of the step's MASE, not
        # every other series with it.
        scaled = [
            e / s for e, p in zip(errors, items, strict=True) if (s := scales.get(p["series"]))
        ]
        mase = round(float(np.mean(scaled)), 6) if scaled else None
        by_horizon.append(
            {"step": step, "n": len(items), "mae": round(float(np.mean(errors)), 6), "mase": mase}
        )
    coverage = {
        level: round(float(np.mean(hits)), 6)
        for level, hits in sorted(levels.items(), key=lambda kv: float(kv[0]))
    }
    return {"by_horizon": by_horizon, "coverage": coverage, "n": len(pairs)}


def _forecast_pairs(model: TrainedModel, start: datetime) -> list[dict[str, Any]]:
    """Pairs of forecasts and the actuals that arrived in the window (two queries)."""
    rows = list(
        ForecastActual.objects.filter(model=model, created_at__gte=start)
        .order_by("-created_at")
        .values_list("series_id", "timestamp", "value", "created_at")[:FORECAST_ACTUALS]
    )
    if not rows:
        return []
    actuals = {(s or "", int(t.timestamp())): (v, c) for s, t, v, c in rows}
    latest = max(c for _s, _t, _v, c in rows)
    records = (
        PredictionRecord.objects.filter(
            model=model, source="forecast", error_code="", created_at__lte=latest
        )
        .order_by("-created_at")
        .values_list("prediction", flat=True)[:FORECAST_RECORDS]
    )
    return forecast_errors(list(records), actuals)


def _forecast_traffic(model: TrainedModel, start: datetime, step: int) -> dict[int, dict]:
    """Forecast requests per timeline bin when they bypass the log's rollups (one query)."""
    bins: dict[int, dict] = {}
    rows = (
        PredictionRecord.objects.filter(model=model, created_at__gte=start, source="forecast")
        .values_list("created_at", "latency_ms", "error_code")
        .order_by()[:FORECAST_ACTUALS]
    )
    for created, latency, error in rows:
        cell = bins.setdefault(int(created.timestamp()) // step * step, _new_cell())
        if error:
            cell["errors"] += 1
        else:
            cell["count"] += 1
            cell["hist"][latency_bucket(latency)] += 1
    return bins


def model_metrics(*, model: TrainedModel, window: str | None = None) -> dict[str, Any]:
    """Live figures of one model over `window` (default 24h): counts, latency percentiles,
    error rate, metrics from feedback, a timeline, and for forecasters error by step and
    interval coverage. A fixed number of queries whatever the traffic.

    A window without predictions answers zeros and nulls, not an error.
    """
    span = parse_window(window or "24h")
    prediction_log.flush()
    now = timezone.now()
    start = now - span
    resolution, step = _grid(span)
    first = bucket_start(start, resolution)
    rows = PredictionRollup.objects.filter(
        model=model, resolution=resolution, bucket__gte=first
    ).values(
        "bucket",
        "count",
        "errors",
        "latency_hist",
        "feedback_count",
        "correct_count",
        "abs_error_sum",
        "sq_error_sum",
        "class_stats",
    )
    origin = int(first.timestamp()) // step * step
    bins = {t: _new_cell() for t in range(origin, int(now.timestamp()) + 1, step)}
    for row in rows:
        key = int(row["bucket"].timestamp()) // step * step
        _add_row(bins.setdefault(key, _new_cell()), row)
    problem = model.problem_type
    if problem == Pipeline.ProblemType.FORECASTING:
        for key, cell in _forecast_traffic(model, first, step).items():
            target = bins.setdefault(key, _new_cell())
            target["count"] += cell["count"]
            target["errors"] += cell["errors"]
            target["hist"].update(cell["hist"])
    total = _new_cell()
    for cell in bins.values():
        _add_row(
            total,
            {
                "count": cell["count"],
                "errors": cell["errors"],
                "latency_hist": cell["hist"],
                "feedback_count": cell["feedback"],
                "correct_count": cell["correct"],
                "abs_error_sum": cell["abs"],
                "sq_error_sum": cell["sq"],
                "class_stats": cell["classes"],
            },
        )
    positive = positive_class(model)
    live = _cell_metrics(total, problem, positive)
    answer: dict[str, Any] = {
        "model_id": model.pk,
        "problem_type": problem,
        "window": f"{int(span.total_seconds())}s",
        "window_start": _iso(start),
        "window_end": _iso(now),
        "prediction_count": total["count"],
        "error_count": total["errors"],
        "latency_ms": _percentiles(total["hist"]),
        "error_rate": _error_rate(total),
        "live_metrics": live,
        # Why a live metric is unknown although feedback came ({"auc": "..."}), for the page.
        "live_notes": {"auc": note}
        if (note := auc_note(total["classes"], total["feedback"]))
        and problem == Pipeline.ProblemType.CLASSIFICATION
        else {},
        "training_metrics": {
            k: v for k, v in (model.test_metrics or {}).items() if isinstance(v, int | float)
        },
    }
    timeline = [
        {
            "timestamp": _iso(datetime.fromtimestamp(key, tz=UTC)),
            "count": cell["count"],
            "errors": cell["errors"],
            "error_rate": _error_rate(cell),
            "latency_ms": _percentiles(cell["hist"]),
            "metrics": _cell_metrics(cell, problem, positive),
        }
        for key, cell in sorted(bins.items())
    ]
    if problem == Pipeline.ProblemType.FORECASTING:
        found = _mase_scales(model)
        scales = found or {}
        pairs = _forecast_pairs(model, start)
        summary = forecast_summary(pairs, scales)
        answer["by_horizon"] = summary["by_horizon"]
        answer["coverage"] = summary["coverage"]
        answer["live_metrics"].update(_pair_metrics(pairs))
        # Why MASE by step is missing (for some series or all), as for live AUC.
        if note := mase_note(pairs, found):
            answer["live_notes"] = {"mase": note}
        per_bin: dict[int, list] = {}
        for pair in pairs:
            per_bin.setdefault(int(pair["arrived"].timestamp()) // step * step, []).append(pair)
        for entry, key in zip(timeline, sorted(bins), strict=True):
            part = forecast_summary(per_bin.get(key, []), scales)
            entry["by_horizon"] = part["by_horizon"]
            entry["coverage"] = part["coverage"]
            entry["metrics"].update(_pair_metrics(per_bin.get(key, [])))
    answer["timeline"] = timeline
    return answer


def _pair_metrics(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    errors = error_metrics([p["error"] for p in pairs])
    return {
        "n": len(pairs),
        **{k: None if v is None else round(v, 6) for k, v in errors.items()},
    }


def _mase_scales(model: TrainedModel) -> dict[str, float | None] | None:
    """Each series' MASE scale from the model's reference (None for a series constant in
    training; a series the reference has no scale for is left out), or None when the model has
    no reference to be had."""
    row = ModelReference.objects.filter(model=model).only("data").first()
    data = row.data if row else None
    if data is None:
        try:
            data = reference_get(model=model)
        except Conflict:
            return None
    series = data.get("series") or {}
    return {k: v.get("mase_scale") for k, v in series.items() if "mase_scale" in v}


def _series_names(keys: list[str], limit: int = 5) -> str:
    """Series named for people: "the series" for a single unnamed one, else "series 'A', 'B'"."""
    if keys == [""]:
        return "the series"
    shown = ", ".join(repr(k) for k in keys[:limit])
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return f"series {shown}{more}"


def mase_note(pairs: list[dict[str, Any]], scales: Mapping[str, float | None] | None) -> str | None:
    """Why MASE by step is missing for some or all of the forecast/actual `pairs` (None when
    every pair's series has its MASE scale, or no pair came): MASE divides each error by the
    series' in-sample naive error, which a series constant in training does not have (zero),
    and which the model's monitoring reference holds."""
    if not pairs:
        return None
    if scales is None:
        return (
            "MASE by step cannot be computed: it needs each series' MASE scale from the "
            "model's monitoring reference, which could not be read or rebuilt from its dataset."
        )
    missing = sorted({p["series"] for p in pairs if not scales.get(p["series"])})
    if not missing:
        return None
    flat = [k for k in missing if k in scales]
    unknown = [k for k in missing if k not in scales]
    reasons = []
    if flat:
        one = len(flat) == 1
        reasons.append(
            f"{_series_names(flat)} had the same value at every step of "
            f"{'its training history' if one else 'their training histories'}, so "
            f"{'its' if one else 'their'} naive forecast error, the scale MASE divides by, "
            f"{'is' if one else 'are'} zero"
        )
    if unknown:
        reasons.append(
            f"the model's monitoring reference has no MASE scale for {_series_names(unknown)}"
        )
    if len(missing) == len({p["series"] for p in pairs}):
        return f"MASE by step cannot be computed: {'; '.join(reasons)}."
    return (
        f"MASE by step is measured on the other series only, without {_series_names(missing)}: "
        f"{'; '.join(reasons)}."
    )


# ---------------------------------------------------------------------------- drift
def _drift_settings(alpha: float | None) -> DriftSettings:
    return DriftSettings(
        alpha=alpha if alpha is not None else settings.VUR_DRIFT_ALPHA,
        min_psi=settings.VUR_DRIFT_MIN_PSI,
        min_samples=settings.VUR_ALERT_MIN_SAMPLES,
    )


def _recent_inputs(model: TrainedModel, start: datetime) -> tuple[pd.DataFrame, list]:
    """Inputs and outputs of recent predictions: single rows, plus batch chunks' samples."""
    single = list(
        PredictionRecord.objects.filter(model=model, created_at__gte=start, error_code="")
        .exclude(channel="batch")
        .order_by("-created_at")
        .values_list("inputs", "prediction")[:DRIFT_ROWS]
    )
    chunks = (
        PredictionRecord.objects.filter(model=model, created_at__gte=start, channel="batch")
        .order_by("-created_at")
        .values_list("inputs", flat=True)[:DRIFT_BATCH_CHUNKS]
    )
    rows = [i for i, _p in single if isinstance(i, dict)]
    outputs = [p for _i, p in single if p is not None and not isinstance(p, dict | list)]
    for inputs in chunks:
        rows.extend((inputs or {}).get("sample") or [])
    return pd.DataFrame.from_records(rows), outputs


def _typed(model: TrainedModel, frame: pd.DataFrame) -> pd.DataFrame:
    info = [
        {"name": c["name"], "dtype": c.get("dtype"), "semantic_type": c.get("semantic_type")}
        for c in (model.input_schema or {}).get("columns", [])
        if c["name"] in frame.columns
    ]
    return profiling.coerce_types(frame, info) if len(frame) else frame


def drift_detect(
    *,
    user,
    model: TrainedModel,
    dataset_id: int | None = None,
    window: str | None = None,
    alpha: float | None = None,
) -> dict[str, Any]:
    """Per-feature drift between the model's reference and recent predictions (`window`,
    default 24h) or an uploaded dataset the user owns. Reads only; safe to repeat."""
    if dataset_id is not None and window:
        raise InvalidInput("Give either dataset_id or window, not both.", code="ambiguous_source")
    reference = reference_get(model=model)
    drift_settings = _drift_settings(alpha)
    now = timezone.now()
    forecaster = reference.get("kind") == "forecast"
    if forecaster:
        target = (model.input_schema or {}).get("target") or model.pipeline.target_column
        columns = {
            target: _merge_target_profiles(reference.get("series") or {}),
        }
    else:
        columns = reference.get("columns") or {}
    current: dict[str, Any]
    outputs: list = []
    if dataset_id is not None:
        dataset = dataset_get(user=user, dataset_id=dataset_id)
        names = set(dataset.column_names)
        missing = [c for c in columns if c not in names]
        if missing:
            raise InvalidInput(
                f"The dataset lacks the model's columns: {', '.join(missing)}.",
                code="missing_columns",
                errors={"dataset_id": [f"missing columns: {', '.join(missing)}"]},
            )
        frame = dataset_frame(dataset, usecols=list(columns))
        if len(frame) > DATASET_DRIFT_ROWS:
            frame = frame.sample(n=DATASET_DRIFT_ROWS, random_state=0)
        current = {"source": "dataset", "dataset_id": dataset.pk, "rows": int(len(frame))}
    else:
        span = parse_window(window or "24h")
        start = now - span
        prediction_log.flush()
        if forecaster:
            values = list(
                ForecastActual.objects.filter(model=model, created_at__gte=start)
                .order_by("-created_at")
                .values_list("value", flat=True)[:DATASET_DRIFT_ROWS]
            )
            frame = pd.DataFrame({next(iter(columns)): values})
        else:
            frame, outputs = _recent_inputs(model, start)
            frame = _typed(model, frame)
        current = {
            "source": "window",
            "window": f"{int(span.total_seconds())}s",
            "window_start": _iso(start),
            "window_end": _iso(now),
            "rows": int(len(frame)),
        }
    result = frame_drift(columns, frame, drift_settings)
    answer: dict[str, Any] = {
        "model_id": model.pk,
        "drift_detected": result["drift_detected"],
        "overall_score": result["overall_score"],
        "mean_psi": result["mean_psi"],
        "drifted_features": result["drifted_features"],
        "features_compared": result["features_compared"],
        "features": result["features"],
        "alpha": drift_settings.alpha,
        "min_psi": drift_settings.min_psi,
        "min_samples": drift_settings.min_samples,
        "reference": {
            "kind": reference.get("kind"),
            "rows": reference.get("rows"),
            "columns": list(columns),
        },
        "current": current,
        "timestamp": _iso(now),
    }
    if outputs and reference.get("predictions"):
        answer["prediction_drift"] = column_drift(
            "prediction", reference["predictions"], outputs, drift_settings
        )
    return answer


def _merge_target_profiles(series: dict[str, Any]) -> dict[str, Any]:
    """The target's reference over all series (the first series' profile when there is one)."""
    for entry in series.values():
        if entry.get("target"):
            return entry["target"]
    return {"kind": "numeric", "n": 0, "nulls": 0, "edges": [], "counts": [0], "sketch": []}


# ---------------------------------------------------------------------------- alerts
def alert_group(user_id: int) -> str:
    """Channel-layer group of a user's alert events."""
    return f"alerts.{user_id}"


def alert_model_fields(alert: Alert) -> dict[str, Any]:
    """The alert's model as people know it: `model_name` ("#1 Random forest of pipeline
    Churn"), `pipeline_id`, `pipeline_name` (all null for an alert about no model)."""
    model = alert.model
    if model is None:
        return {"model_name": None, "pipeline_id": None, "pipeline_name": None}
    return {
        "model_name": model_name(model),
        "pipeline_id": model.pipeline_id,
        "pipeline_name": model.pipeline.name,
    }


def alert_payload(alert: Alert) -> dict[str, Any]:
    """An alert as the API and the WebSocket send it."""
    return {
        "id": alert.pk,
        "model_id": alert.model_id,
        **alert_model_fields(alert),
        "kind": alert.kind,
        "severity": alert.severity,
        "message": alert.message,
        "details": alert.details,
        "created_at": _iso(alert.created_at),
        "acknowledged": alert.acknowledged,
        "acknowledged_at": _iso(alert.acknowledged_at) if alert.acknowledged_at else None,
    }


def _publish_alert(alert: Alert) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            alert_group(alert.owner_id), {"type": "alerts.new", "alert": alert_payload(alert)}
        )
    except Exception:
        logger.exception("alert %s could not be pushed", alert.pk)


def alert_raise(
    *,
    owner_id: int,
    kind: str,
    subject: str,
    message: str,
    model: TrainedModel | None = None,
    severity: str = Alert.Severity.WARNING,
    details: dict[str, Any] | None = None,
) -> Alert | None:
    """Open an alert unless one is open for the same subject and kind, or one was acknowledged
    within `VUR_ALERT_SNOOZE_S`. Returns the new alert (pushed after commit) or None. Safe to
    repeat: the partial unique constraint keeps one open alert."""
    snooze = timezone.now() - timedelta(seconds=settings.VUR_ALERT_SNOOZE_S)
    similar = Alert.objects.filter(owner_id=owner_id, kind=kind, subject=subject)
    if similar.filter(Q(acknowledged=False) | Q(acknowledged_at__gte=snooze)).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                owner_id=owner_id,
                model=model,
                kind=kind,
                subject=subject,
                severity=severity,
                message=message,
                details=json_safe(details or {}),
            )
            transaction.on_commit(partial(_publish_alert, alert))
    except IntegrityError:
        return None  # another check opened it first
    return alert


def alert_acknowledge(*, alert: Alert) -> Alert:
    """Acknowledge an alert. Idempotent: a second call changes nothing."""
    Alert.objects.filter(pk=alert.pk, acknowledged=False).update(
        acknowledged=True, acknowledged_at=timezone.now(), updated_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


# ---------------------------------------------------------------------------- periodic checks
def _training_figure(model: TrainedModel, name: str) -> float | None:
    value = (model.test_metrics or {}).get(name)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def model_check(*, model: TrainedModel, window: str | None = None) -> list[Alert]:
    """Run every check on one model over `window` (default `VUR_MONITORING_WINDOW`); return the
    alerts raised."""
    window = window or settings.VUR_MONITORING_WINDOW
    minimum = settings.VUR_ALERT_MIN_SAMPLES
    subject = f"model:{model.pk}"
    raised: list[Alert | None] = []
    figures = model_metrics(model=model, window=window)
    name = model_name(model)  # people know a model by rank, algorithm and pipeline, not its id

    def alert(kind: str, message: str, severity: str = "warning", **details: Any) -> None:
        raised.append(
            alert_raise(
                owner_id=model.owner_id,
                model=model,
                kind=kind,
                subject=subject,
                message=message,
                severity=severity,
                details={"window": window, **details},
            )
        )

    requests = figures["prediction_count"] + figures["error_count"]
    rate = figures["error_rate"]
    if requests >= minimum and rate is not None and rate > settings.VUR_ALERT_ERROR_RATE:
        alert(
            "error_rate",
            f"{rate:.0%} of {requests} prediction requests to {name} failed in the "
            f"last {window} (threshold {settings.VUR_ALERT_ERROR_RATE:.0%}).",
            "critical" if rate > 0.5 else "warning",
            error_rate=rate,
            requests=requests,
        )
    live = figures["live_metrics"]
    drop = settings.VUR_ALERT_METRIC_DROP
    if (live.get("n") or 0) >= minimum:
        if model.problem_type == Pipeline.ProblemType.CLASSIFICATION:
            trained, now_value = _training_figure(model, "accuracy"), live.get("accuracy")
            if trained and now_value is not None and now_value < trained * (1 - drop):
                alert(
                    "performance",
                    f"The accuracy of {name} on feedback is {now_value:.3f}, down from "
                    f"{trained:.3f} on its hold-out rows.",
                    metric="accuracy",
                    live=now_value,
                    training=trained,
                )
        else:
            for metric in ("rmse", "mae"):
                trained, now_value = _training_figure(model, metric), live.get(metric)
                if trained and now_value is not None and now_value > trained * (1 + drop):
                    alert(
                        "performance",
                        f"The {metric.upper()} of {name} on feedback is {now_value:.4g}, up "
                        f"from {trained:.4g} in training.",
                        metric=metric,
                        live=now_value,
                        training=trained,
                    )
                    break
    for level, share in (figures.get("coverage") or {}).items():
        n = sum(b["n"] for b in figures.get("by_horizon") or [])
        if n >= minimum and share < float(level) / 100 - 0.10:
            alert(
                "coverage",
                f"Only {share:.0%} of actuals fell inside the {level}% intervals of {name} "
                f"in the last {window}.",
                level=level,
                coverage=share,
                n=n,
            )
            break
    if (
        model.problem_type != Pipeline.ProblemType.FORECASTING
        and figures["prediction_count"] >= minimum
    ):
        try:
            drift = drift_detect(user=model.owner, model=model, window=window)
        except Conflict:
            drift = None
        if drift and drift["drift_detected"]:
            alert(
                "drift",
                f"Inputs of {name} drifted in the last {window}: "
                f"{', '.join(drift['drifted_features'])}.",
                features=drift["drifted_features"],
                overall_score=drift["overall_score"],
            )
    return [a for a in raised if a is not None]


def failed_jobs_check(*, since: datetime) -> list[Alert]:
    """One job_failed alert per training job that failed since `since` (never twice)."""
    raised = []
    for job in TrainingJob.objects.filter(
        status=TrainingJob.Status.FAILED, completed_at__gte=since
    ).select_related("pipeline"):
        subject = f"job:{job.pk}"
        if Alert.objects.filter(kind="job_failed", subject=subject).exists():
            continue
        new = alert_raise(
            owner_id=job.owner_id,
            kind="job_failed",
            subject=subject,
            message=f"Training of '{job.pipeline.name}' failed: {job.error or 'no reason given'}",
            details={"job_id": str(job.pk), "pipeline_id": job.pipeline_id},
        )
        if new:
            raised.append(new)
    return raised


def monitoring_check_all() -> dict[str, int]:
    """The periodic pass: every deployed model's checks, then failed training jobs. One model's
    failure is logged and does not stop the others."""
    span = parse_window(settings.VUR_MONITORING_WINDOW)
    deployed = (
        TrainedModel.objects.filter(deployments__status=Deployment.Status.ACTIVE)
        .distinct()
        .select_related("owner", "pipeline")
    )
    checked = raised = 0
    for model in deployed:
        try:
            raised += len(model_check(model=model))
            checked += 1
        except Exception:
            logger.exception("monitoring checks of model %s failed", model.pk)
    since = timezone.now() - max(span, timedelta(seconds=3 * settings.VUR_MONITORING_INTERVAL_S))
    raised += len(failed_jobs_check(since=since))
    return {"models_checked": checked, "alerts_raised": raised}
