"""Preprocessing pages: the dataset page's quality report and series plot (htmx partials), and
the wizard's preprocessing preview partial.

Thin: each view calls the preprocessing services and renders a template.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets.selectors import dataset_get
from preprocessing import services
from vur.errors import VURError
from vur.pages import get_or_404

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@login_required
def quality_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The quality report of a dataset: score, issues (worst first) and recommendations."""
    dataset = get_or_404(dataset_get, user=request.user, dataset_id=dataset_id)
    try:
        report = services.quality_analyze(
            dataset=dataset, columns=None, sample_size=services.DEFAULT_SAMPLE
        )
    except VURError as err:
        return render(request, "partials/error.html", {"message": err.detail})
    issues = sorted(report["issues"], key=lambda i: SEVERITY_ORDER.get(i["severity"], 9))
    return render(
        request,
        "preprocessing/_quality.html",
        {
            "report": report,
            "issues": issues,
            "score_pct": score_percent(report["overall_score"]),
            "time_series": dataset.dataset_type == dataset.Type.TIME_SERIES,
        },
    )


def score_percent(score: float) -> int:
    """A quality score (0-1) as a whole percent: 100 only for a score of 1, so data with any
    issue counted against it never reads "100%" (0.996 is 99)."""
    pct = round(score * 100)
    return min(pct, 99) if score < 1 else 100


def _series_figure(line: dict) -> dict:
    """Plotly figure of one series: the line, gaps (missing timestamps) as grey ticks, rows
    without a value (empty, or no number) as orange crosses, outliers as red circles."""
    values = [v for v in line["values"] if v is not None]
    floor = min(values) if values else 0
    traces = [
        {
            "type": "scatter", "mode": "lines", "name": line["column"],
            "x": line["timestamps"], "y": line["values"], "connectgaps": False,
            "line": {"color": "#2f6fed", "width": 1.5},
        },
    ]  # fmt: skip
    if line["gaps"]:
        traces.append(
            {
                "type": "scatter", "mode": "markers", "name": f"gaps ({len(line['gaps'])})",
                "x": line["gaps"], "y": [floor] * len(line["gaps"]),
                "marker": {"symbol": "line-ns-open", "size": 14, "color": "#8a94a6"},
                "hovertemplate": "missing %{x}<extra></extra>",
            }
        )  # fmt: skip
    if line.get("no_value"):
        traces.append(
            {
                "type": "scatter", "mode": "markers", "name": f"no value ({len(line['no_value'])})",
                "x": line["no_value"], "y": [floor] * len(line["no_value"]),
                "marker": {"symbol": "x-thin-open", "size": 10, "color": "#a35a00",
                           "line": {"width": 2}},
                "hovertemplate": "no value at %{x}<extra></extra>",
            }
        )  # fmt: skip
    if line["outliers"]:
        traces.append(
            {
                "type": "scatter", "mode": "markers", "name": f"outliers ({len(line['outliers'])})",
                "x": [o["timestamp"] for o in line["outliers"]],
                "y": [o["value"] for o in line["outliers"]],
                "marker": {"symbol": "circle-open", "size": 10, "color": "#b42318",
                           "line": {"width": 2}},
            }
        )  # fmt: skip
    return {
        "data": traces,
        "layout": {"height": 300, "showlegend": True, "xaxis": {"type": "date"}},
    }


@login_required
def series_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """A time series over time with its gaps and outliers marked (htmx partial)."""
    dataset = get_or_404(dataset_get, user=request.user, dataset_id=dataset_id)
    try:
        overview = services.series_overview(dataset=dataset)
    except VURError as err:
        return render(request, "partials/error.html", {"message": err.detail})
    lines = [
        {**line, "id": f"series-{i}", "figure": _series_figure(line)}
        for i, line in enumerate(overview["lines"])
    ]
    return render(request, "preprocessing/_series.html", {"overview": overview, "lines": lines})
