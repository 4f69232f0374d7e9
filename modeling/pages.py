"""Model registry pages: the list of trained models, and what a model page shows of a model
(scores, importance, confusion matrix, epochs, a forecaster's history with its forecast).

The model page itself is served by predictions.pages (it adds deployment and prediction
panels, which live downstream); it builds its model part with `model_page_context`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets.services import dataset_frame
from datasets.timeseries import readable_ids
from features.importance import feature_label
from modeling.artifacts import artifact_load
from modeling.metrics import lower_is_better, readable
from modeling.models import TrainedModel
from modeling.selectors import trained_model_list
from modeling.templatetags.modeling_labels import (
    algorithm_label,
    metric_direction,
    metric_label,
    metric_value,
)
from pipelines.models import Pipeline
from vur.errors import Conflict, NotFound, VURError

logger = logging.getLogger(__name__)

HISTORY_POINTS = 240
IMPORTANCES_SHOWN = 25
# How the card's importances were measured, in words (the card stores the method's key).
IMPORTANCE_METHODS = {
    "model": "the model's own importances (split gains or coefficients), by transformed feature",
    "permutation": "the drop in hold-out score when a column's values are shuffled",
    "blend": "its members' importances, summed by input column and weighted as in the blend",
}


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    """Every trained model of the user, newest job first, best rank first."""
    models = trained_model_list(user=request.user).select_related("pipeline")
    page = Paginator(models, 30).get_page(request.GET.get("page"))
    return render(request, "modeling/list.html", {"page": page, "models": page.object_list})


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def metric_rows(model: TrainedModel) -> list[dict[str, Any]]:
    """The model's hold-out scores (a forecaster's backtest errors) as rows {name, label, value,
    text, better} for a table, primary first: `text` is the value as the page shows it (rounded,
    with % where the metric is a percentage), `better` the direction of the metric. The
    validation score is not one of them (`validation_score`)."""
    rows = []
    for name, value in (model.test_metrics or {}).items():
        if not _number(value):
            continue
        better = "lower" if lower_is_better(name) else "higher"
        if name.startswith("coverage_"):
            better = f"close to {name.split('_', 1)[1]}%"
        rows.append({"name": name, "label": _score_label(model, name), "value": value,
                     "text": metric_value(value, name), "better": better})  # fmt: skip
    rows.sort(key=lambda r: r["name"] != model.primary_metric)
    return rows


def validation_score(model: TrainedModel) -> dict[str, Any] | None:
    """The score that ranked a tabular model, {label, value, text, better}: its primary metric
    on the validation folds of the training rows (`metrics.cv_score`, measured on out-of-fold
    predictions during the search), not on the hold-out rows. None when there is none; a
    forecaster is ranked by its backtest, which is in `metric_rows`."""
    cv = (model.metrics or {}).get("cv_score")
    if model.problem_type == Pipeline.ProblemType.FORECASTING or not _number(cv):
        return None
    metric, better = model.primary_metric, metric_direction(model.primary_metric)
    return {"label": f"Validation {metric_label(metric)} (ranks the models; {better})",
            "value": cv, "text": metric_value(cv, metric), "better": better}  # fmt: skip


def _score_label(model: TrainedModel, name: str) -> str:
    """A score's name in the table: the primary metric says what it was measured on."""
    if name == model.primary_metric:
        where = "Backtest" if model.problem_type == Pipeline.ProblemType.FORECASTING else "Hold-out"
        return f"{where} {metric_label(name)}"
    return metric_label(name)


def backtest_windows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """A forecaster's backtest MASE window by window, oldest first, as the model page lists
    them (`label`, `text`); empty for a model trained before they were kept, or one window."""
    values = card.get("backtest_windows") or []
    if len(values) < 2:
        return []
    last = len(values)
    rows = []
    for i, value in enumerate(values, start=1):
        where = " (oldest)" if i == 1 else " (newest)" if i == last else ""
        text = "–" if value is None else readable(value)
        rows.append({"label": f"{i}{where}", "text": text, "value": value})
    return rows


def ensemble_members(model: TrainedModel) -> list[dict[str, Any]]:
    """A blend's members as rows {algorithm, weight, hyperparameters} (empty for other models);
    each member's algorithm is named for the blend's problem type."""
    members = (model.hyperparameters or {}).get("members")
    if not isinstance(members, list):
        return []
    rows = []
    for m in members:
        if not isinstance(m, dict):
            continue
        params = m.get("hyperparameters")
        params = params if isinstance(params, dict) else {}
        rows.append({
            "algorithm": algorithm_label(m.get("algorithm", ""), model.problem_type),
            "weight": m.get("weight"),
            "hyperparameters": sorted(params.items()),
        })  # fmt: skip
    return rows


def _series_note(group: dict[str, Any]) -> str:
    """ "2 series: Japan, UK" / "5 series: A, B, C and 2 more" for one fitted form."""
    count = group.get("n_series")
    named = [str(s) for s in group.get("series") or [] if s is not None]
    if not isinstance(count, int) or not named:
        return ""
    more = count - len(named)
    listed = ", ".join(named) + (f" and {more} more" if more > 0 else "")
    return f"{count} series: {listed}"


def fitted_form(model: TrainedModel) -> dict[str, Any] | None:
    """What the forecaster's fit chose, as the model page shows it under "Fitted model" (from
    the card's `fitted_form`, kept by training): {forms: [{text, name, members, series}],
    varies, n_series, n_forms, more_forms}. A blend's members are named as in the members
    table. None for other models and models trained before the form was kept."""
    kept = (model.card or {}).get("fitted_form")
    if not isinstance(kept, dict) or not isinstance(kept.get("forms"), list):
        return None
    labels = [row["algorithm"] for row in ensemble_members(model)]
    forms = []
    for group in kept["forms"]:
        form = group.get("form") if isinstance(group, dict) else None
        if not isinstance(form, dict) or not form.get("text"):
            continue
        members = [m.get("text", "") for m in form.get("members") or [] if isinstance(m, dict)]
        if len(labels) == len(members):
            members = [
                text if text.startswith(label) else f"{label}: {text}"  # "Seasonal naive, ..."
                for label, text in zip(labels, members, strict=True)
            ]
        forms.append({
            "text": form["text"],
            "name": form.get("name") or form["text"],
            "members": members,
            "series": _series_note(group),
        })  # fmt: skip
    if not forms:
        return None
    counted, n_series = kept.get("n_forms"), kept.get("n_series")
    n_forms = counted if isinstance(counted, int) else len(forms)
    return {
        "forms": forms,
        "varies": n_forms > 1,
        "n_forms": n_forms,
        "n_series": n_series if isinstance(n_series, int) else None,
        "more_forms": max(n_forms - len(forms), 0),
    }


def _importance(model: TrainedModel) -> list[dict[str, Any]]:
    """The largest importances with readable names ("Home: missing"); names that read the same
    are one bar (two bars on one category would be drawn over each other)."""
    total: dict[str, float] = {}
    for item in model.feature_importance or []:
        if _number(item.get("importance")):
            label = feature_label(str(item["feature"]))
            total[label] = total.get(label, 0.0) + float(item["importance"])
    items = sorted(total.items(), key=lambda kv: -kv[1])[:IMPORTANCES_SHOWN]
    return [{"feature": name, "importance": value} for name, value in items]


def _confusion(model: TrainedModel) -> dict[str, Any] | None:
    matrix = model.confusion_matrix
    if not matrix:
        return None
    classes = model.classes or [str(i) for i in range(len(matrix))]
    return {"classes": [str(c) for c in classes], "matrix": matrix}


def never_predicted(model: TrainedModel) -> list[dict[str, Any]]:
    """The classes the model predicts for none of the hold-out rows although some of them hold
    it (a rare class losing every row to the majority), each with its hold-out count."""
    confusion = _confusion(model)
    if confusion is None:
        return []
    matrix, classes = confusion["matrix"], confusion["classes"]
    total = sum(sum(row) for row in matrix)
    missed = []
    for i, label in enumerate(classes):
        actual = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        if actual and not predicted:
            missed.append({"label": label, "rows": actual, "total": total})
    return missed


def _epochs(model: TrainedModel) -> list[dict[str, Any]]:
    return [e for e in (model.epochs or []) if isinstance(e, dict) and "epoch" in e]


def _residual_points(model: TrainedModel) -> dict[str, list] | None:
    """Hold-out predicted and actual values of a regression model, when training stored them."""
    res = model.residual_analysis or {}
    predicted, actual = res.get("predicted"), res.get("actual")
    if model.problem_type != Pipeline.ProblemType.REGRESSION or not predicted or not actual:
        return None
    if len(predicted) != len(actual):
        return None
    return {"predicted": predicted, "actual": actual}


def series_history(model: TrainedModel, series_id: Any = None) -> dict[str, Any]:
    """The recent training history of one of a forecaster's series (the first by default), as
    the charts draw it: `{series_id, timestamps, values}`. NotFound (404) for a series the
    model does not forecast; reads the pipeline's dataset (Conflict, 409 dataset_file_missing,
    when its file is gone)."""
    schema = model.input_schema or {}
    time_col, target = schema.get("time_column"), schema.get("target")
    id_col = schema.get("id_column")
    series_ids = schema.get("series_ids") or []
    asked = series_id is not None and series_id != ""
    if model.problem_type != Pipeline.ProblemType.FORECASTING or not time_col or not target:
        raise NotFound("This model forecasts no series.", code="series_not_found")
    if id_col and series_ids:
        key = series_ids[0]
        if asked:
            matches = [s for s in series_ids if str(s) == str(series_id)]
            if not matches:
                raise NotFound(
                    f"Series '{series_id}' is not in this model.", code="series_not_found"
                )
            key = matches[0]
    elif asked:
        raise NotFound(
            f"This model forecasts a single series; series '{series_id}' is not in it.",
            code="series_not_found",
        )
    else:
        key = None
    columns = [c for c in (time_col, id_col, target) if c]
    dataset = model.pipeline.dataset
    try:
        frame = dataset_frame(dataset, usecols=columns)
    except Conflict as exc:
        if exc.code != "dataset_file_missing":
            raise
        raise Conflict(
            "The training data of this model is no longer there: the stored file of dataset "
            f"'{dataset.name}' is missing, so its history cannot be drawn.",
            code=exc.code,
        ) from None
    if id_col and key is not None:
        ids = frame[id_col]  # named 1 since training reads whole numbers so; 1.0 before
        frame = frame[(readable_ids(ids).astype(str) == str(key)) | (ids.astype(str) == str(key))]
    frame = frame.dropna(subset=[time_col]).sort_values(time_col).tail(HISTORY_POINTS)
    stamps = pd.DatetimeIndex(frame[time_col])
    zone = schema.get("timezone")
    if zone and stamps.tz is not None:
        # The file's times are read in UTC; the forecasts are written in the zone training
        # read from their offsets, and the charts draw both as written: the same clock.
        stamps = stamps.tz_convert(zone)
    return {
        "series_id": key,
        "timestamps": [t.isoformat() for t in stamps],
        "values": [float(v) if _number(float(v)) else None for v in frame[target]],
    }


def series_forecast(model: TrainedModel, series_id: Any = None) -> dict[str, Any]:
    """The recent history of one of a forecaster's series (the first by default) and its
    forecast from the stored model (not a deployment) with 80/95% intervals:
    {series_id, target, history: {timestamps, values}, forecast: {timestamps, forecast,
    intervals}}. NotFound (404, series_not_found) for a series the model does not forecast;
    Conflict (409) when its dataset's file (dataset_file_missing) or the model's file
    (ArtifactIntegrityError) is missing, or the latter altered."""
    chosen = series_history(model, series_id)
    fitted = artifact_load(model.artifact, model.sha256)
    out = fitted.predict(levels=(80, 95), series_id=chosen["series_id"])
    return {
        "series_id": chosen["series_id"],
        "target": (model.input_schema or {}).get("target"),
        "history": {"timestamps": chosen["timestamps"], "values": chosen["values"]},
        "forecast": {
            "timestamps": out.get("timestamps", []),
            "forecast": out.get("forecast", []),
            "intervals": out.get("intervals", {}),
        },
    }


def forecast_chart(model: TrainedModel) -> dict[str, Any]:
    """The model page's history-and-forecast chart of a forecaster's first series
    (`series_forecast`), or {error} when it cannot be drawn."""
    try:
        return series_forecast(model)
    except VURError as exc:  # the model's or its dataset's file is gone: say which
        return {"error": exc.detail}
    except Exception:
        logger.exception("could not draw the forecast of model %s", model.pk)
        return {"error": "The forecast could not be drawn: the model file or its data is missing."}


def model_page_context(model: TrainedModel) -> dict[str, Any]:
    """What the model page shows of the model itself; chart data is JSON-ready."""
    forecasting = model.problem_type == Pipeline.ProblemType.FORECASTING
    charts: dict[str, Any] = {
        "problem_type": model.problem_type,
        "importance": _importance(model),
        "confusion": _confusion(model),
        "epochs": _epochs(model),
        "residuals": _residual_points(model),
    }
    if forecasting:
        charts["forecast"] = forecast_chart(model)
    card = model.card or {}
    return {
        "model": model,
        "pipeline": model.pipeline,
        "is_forecaster": forecasting,
        "metric_rows": metric_rows(model),
        "validation_score": validation_score(model),
        "never_predicted": never_predicted(model),
        "ensemble_members": ensemble_members(model),
        "fitted_form": fitted_form(model),
        "charts": charts,
        "importance_method": IMPORTANCE_METHODS.get(card.get("importance_method") or "", ""),
        "backtest_windows": backtest_windows(card),
        "intervals_card": model.prediction_intervals or {},
        "residuals": model.residual_analysis or {},
        "versions": card.get("library_versions") or {},
    }
