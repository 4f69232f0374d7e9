"""Monitoring pages: the overview (models in service, open alerts) and one model's page (volume,
latency, live metrics, drift per feature, forecast error by step and coverage, alerts).

The pages render the frame; their figures come from the monitoring API (`monitoring/models/{id}/
metrics`, `monitoring/drift-detection`, `monitoring/alerts`), so the page and the API show the
same numbers. The model page's "Record actuals" card posts a file of ground truth here
(`predictions.feedbackfile`), and its answer tells the page to reload the live metrics.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from datasets.uploads import uploaded_file
from modeling.models import TrainedModel
from modeling.selectors import trained_model_get, trained_model_list
from pipelines.models import Pipeline
from predictions.feedbackfile import MAX_ACTUAL_ROWS, actuals_from_file
from training.reference import bin_index, level_key
from vur.errors import InvalidInput, NotFound, VURError
from vur.pages import is_htmx

WINDOWS = [
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
]
DEFAULT_WINDOW = "24h"


@login_required
def monitoring_index(request: HttpRequest) -> HttpResponse:
    """Models in service (and those that served before) with links, and every open alert."""
    models = trained_model_list(user=request.user).select_related("pipeline")
    deployed = models.filter(is_deployed=True)
    served = models.filter(is_deployed=False, predictions__isnull=False).distinct()[:20]
    return render(
        request,
        "monitoring/index.html",
        {"deployed": deployed, "served": served},
    )


def _model(request: HttpRequest, model_id) -> TrainedModel:
    try:
        return trained_model_get(user=request.user, model_id=model_id)
    except NotFound:
        raise Http404("Model not found.") from None


def _model_page(
    request: HttpRequest, model: TrainedModel, actuals: dict | None = None, status: int = 200
) -> HttpResponse:
    """The model's monitoring page; `actuals`: what the "Record actuals" card says (its result
    partial's context) after a post without htmx."""
    window = request.GET.get("window", DEFAULT_WINDOW)
    if window not in dict(WINDOWS):
        window = DEFAULT_WINDOW
    return render(
        request,
        "monitoring/model.html",
        {
            "model": model,
            "pipeline": model.pipeline,
            "is_forecaster": model.problem_type == Pipeline.ProblemType.FORECASTING,
            "windows": WINDOWS,
            "window": window,
            "max_actual_rows": f"{MAX_ACTUAL_ROWS:,}",
            "max_upload_mb": settings.VUR_MAX_UPLOAD_MB,
            "actuals": actuals,
        },
        status=status,
    )


@login_required
def monitoring_model(request: HttpRequest, model_id) -> HttpResponse:
    """One model's monitoring page; the window is chosen on the page (default 24 hours)."""
    return _model_page(request, _model(request, model_id))


@login_required
@require_POST
def monitoring_actuals(request: HttpRequest, model_id) -> HttpResponse:
    """Record the actuals of the uploaded file (all rows or none). With htmx, answers the card's
    result partial: the count, with `HX-Trigger: actuals-recorded` so the page reloads its live
    metrics, or the refusal (status 200, as the other page forms answer htmx). Without htmx, the
    whole page with the result in the card, a refusal with its 4xx status."""
    model = _model(request, model_id)
    status = 200
    result: dict[str, Any] = {}  # the card's result partial's context
    try:
        upload = uploaded_file(request)  # PayloadTooLarge (413) for a file over the limit
        if upload is None:
            raise InvalidInput(
                "Choose a file of actuals (CSV, Excel, JSON or Parquet) first.", code="required"
            )
        result["count"] = actuals_from_file(user=request.user, model=model, upload=upload)
    except VURError as exc:
        status, result["error"] = exc.status_code, exc.detail
    if not is_htmx(request):
        return _model_page(request, model, actuals=result, status=status)
    response = render(request, "monitoring/_actuals_result.html", result)
    if "count" in result:
        response["HX-Trigger"] = "actuals-recorded"
    return response


def _edges_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    labels = [f"≤ {edges[0]:.4g}"]
    labels += [f"{lo:.4g} – {hi:.4g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return [*labels, f"> {edges[-1]:.4g}"]


def _side_by_side(profile: dict[str, Any], values: pd.Series) -> dict[str, Any] | None:
    """Reference and current counts of one column over the reference's own bins or levels."""
    if profile.get("kind") == "numeric":
        edges = profile.get("edges") or []
        current = pd.to_numeric(values, errors="coerce").to_numpy("float64")
        current = current[np.isfinite(current)]
        reference = list(profile.get("counts") or [])
        counts = np.bincount(bin_index(current, edges), minlength=len(reference)).tolist()
        return {"labels": _edges_labels(edges), "reference": reference, "current": counts}
    levels = profile.get("levels") or {}
    if not levels:
        return None
    seen = values.dropna().map(level_key).value_counts().to_dict()
    labels = list(levels)
    current = [int(seen.get(k, 0)) for k in labels]
    unseen = sum(int(v) for k, v in seen.items() if k not in levels)
    if unseen:
        labels.append("(not seen in training)")
        current.append(unseen)
    return {
        "labels": labels,
        "reference": [int(levels[k]) for k in list(levels)] + ([0] if unseen else []),
        "current": current,
    }


def drift_distributions(*, model: TrainedModel, window: str) -> dict[str, Any]:
    """Per input column, the training reference's counts and the recent predictions' counts on
    the same bins, for the drift chart. Reads the same reference and rows as drift detection."""
    from monitoring import services

    span: timedelta = services.parse_window(window)
    reference = services.reference_get(model=model)
    columns = reference.get("columns") or {}
    frame, _outputs = services._recent_inputs(model, timezone.now() - span)
    frame = services._typed(model, frame)
    out: dict[str, Any] = {}
    for name, profile in columns.items():
        if name in frame.columns:
            pair = _side_by_side(profile, frame[name])
            if pair is not None:
                out[name] = pair
    return {"model_id": model.pk, "window": window, "features": out}


@login_required
def monitoring_distributions(request: HttpRequest, model_id) -> JsonResponse:
    """JSON for the drift chart: each feature's training and recent distributions."""
    model = _model(request, model_id)
    try:
        answer = drift_distributions(model=model, window=request.GET.get("window", DEFAULT_WINDOW))
    except VURError as exc:
        return JsonResponse({"detail": exc.detail, "code": exc.code}, status=exc.status_code)
    return JsonResponse(answer)
