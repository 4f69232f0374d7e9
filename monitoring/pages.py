"""Monitoring pages: the overview (models in service, open alerts) and one model's page (volume,
latency, live metrics, drift per feature, forecast error by step and coverage, alerts).

The pages render the frame; their figures come from the monitoring API (`monitoring/models/{id}/
metrics`, `monitoring/drift-detection`, `monitoring/alerts`), so the page and the API show the
same numbers.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from modeling.selectors import trained_model_get, trained_model_list
from vur.errors import NotFound

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


@login_required
def monitoring_model(request: HttpRequest, model_id) -> HttpResponse:
    """One model's monitoring page; the window is chosen on the page (default 24 hours)."""
    try:
        model = trained_model_get(user=request.user, model_id=model_id)
    except NotFound:
        raise Http404("Model not found.") from None
    window = request.GET.get("window", DEFAULT_WINDOW)
    if window not in dict(WINDOWS):
        window = DEFAULT_WINDOW
    return render(
        request,
        "monitoring/model.html",
        {
            "model": model,
            "pipeline": model.pipeline,
            "is_forecaster": model.problem_type == "forecasting",
            "windows": WINDOWS,
            "window": window,
        },
    )
