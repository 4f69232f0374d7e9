"""The one home of model scores: tabular (regression, classification) and forecast point
metrics, the MASE scale, AUC and log loss of class probabilities, which direction of each metric
is better, and the primary metric that ranks models. Django-free. It lives in `modeling` (the
lowest layer that reads metrics: its pages say which way is better); every layer above
imports it from here.

MAPE and sMAPE are percentages everywhere (12.5 means 12.5 %), over the rows whose actual value
is not zero. Interval coverage (`coverage_80`) is a fraction (0.86 means 86 % of the actual
values fell inside the 80 % interval).

Also here, because every page and log line that shows a score goes through it: `readable`, a
number rounded for people (the stored value keeps its full precision).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

__all__ = [
    "LOWER_IS_BETTER",
    "classification_metrics",
    "error_metrics",
    "forecast_metrics",
    "label_codes",
    "lower_is_better",
    "mase_scale",
    "ovr_auc",
    "primary_metric",
    "probability_log_loss",
    "readable",
    "regression_metrics",
    "residual_analysis",
    "residual_summary",
    "score_value",
]

logger = logging.getLogger(__name__)


def _safe(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


# Metrics where a lower value is the better one (every other metric: higher is better).
LOWER_IS_BETTER = frozenset(
    {"rmse", "mae", "mse", "mape", "smape", "mase", "log_loss", "rmsle", "wape"}
)


def readable(value: Any, digits: int = 4) -> str:
    """`value` rounded for display: `digits` significant digits below 1,000 ("0.8194",
    "21.66", "4.675"), a whole number with thousands separators from 1,000 up ("72,617");
    scientific notation only below 0.0001 ("1.2e-5"). Text other than a number is returned as
    it is; None, NaN and infinities as "–"."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return "–" if value is None else str(value)
    number = float(value)
    if not math.isfinite(number):
        return "–"
    if isinstance(value, (int, np.integer)) or abs(float(f"{number:.{digits}g}")) >= 1000:
        return f"{round(number):,}"
    if number == 0:
        return "0"
    if abs(number) < 1e-4:
        mantissa, exponent = f"{number:.{max(digits - 1, 0)}e}".split("e")
        return f"{_trim(mantissa)}e{int(exponent)}"
    return _trim(f"{number:.{digits}g}")


def readable_column(values: Any, digits: int = 4) -> list[str]:
    """A column of numbers rounded for display alike: the decimals that give its largest value
    `digits` significant digits, kept on every row ("0.8530" beside "0.9386", not "0.853"),
    whole numbers with thousands separators when the largest reaches 1,000; a column of tiny
    values (below 0.0001) is written as `readable` writes each. None, NaN, infinities and text
    as `readable` writes them."""
    values = list(values)
    numbers = [
        float(v)
        for v in values
        if not isinstance(v, bool)
        and isinstance(v, (int, float, np.integer, np.floating))
        and math.isfinite(float(v))
    ]
    largest = max((abs(n) for n in numbers), default=0.0)
    if not numbers or largest == 0 or largest < 1e-4:
        return [readable(v, digits) for v in values]
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(float(f"{largest:.{digits}g}")))))

    def one(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return readable(value, digits)
        if not math.isfinite(float(value)):
            return "–"
        return f"{float(value):,.{decimals}f}"

    return [one(v) for v in values]


def _trim(text: str) -> str:
    """A decimal without trailing zeros ("0.8470" -> "0.847", "2.000" -> "2")."""
    return text.rstrip("0").rstrip(".") if "." in text else text


# Largest number of hold-out rows whose actual and predicted values a residual analysis keeps
# for the model page's chart (the summary figures use every row).
RESIDUAL_SAMPLE_ROWS = 500


def residual_summary(residuals: Any) -> dict[str, Any]:
    """Figures of residuals (actual minus predicted, the finite ones): how many (`n`), their
    mean (the bias), spread (`std`), median and the 5th and 95th percentiles (`p05`, `p95`);
    None for a figure there are too few residuals for."""
    err = np.asarray(residuals, dtype="float64")
    err = err[np.isfinite(err)]
    n = int(err.size)
    return {
        "n": n,
        "mean": float(np.mean(err)) if n else None,
        "std": float(np.std(err, ddof=1)) if n > 1 else None,
        "median": float(np.median(err)) if n else None,
        "p05": float(np.percentile(err, 5)) if n else None,
        "p95": float(np.percentile(err, 95)) if n else None,
    }


def residual_analysis(
    actual: Any, predicted: Any, *, max_points: int = RESIDUAL_SAMPLE_ROWS, seed: int = 0
) -> dict[str, Any]:
    """The residual analysis of a regression's hold-out rows: `residual_summary` of
    actual - predicted over every row with both values, and `actual` / `predicted` of at most
    `max_points` of those rows (a seeded random sample, in row order) for a chart."""
    a = np.asarray(actual, dtype="float64").ravel()
    p = np.asarray(predicted, dtype="float64").ravel()
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    out = residual_summary(a - p)
    keep = np.arange(a.size)
    if a.size > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(a.size, size=max_points, replace=False))
    out["actual"] = a[keep].tolist()
    out["predicted"] = p[keep].tolist()
    return out


def lower_is_better(name: Any) -> bool:
    """Whether a smaller value of metric `name` is the better one."""
    return str(name or "").lower() in LOWER_IS_BETTER


def primary_metric(problem_type: str) -> tuple[str, bool]:
    """The metric that ranks models for `problem_type` and whether greater is better."""
    name = "auc" if problem_type == "classification" else "rmse"
    return name, not lower_is_better(name)


def label_codes(values: Any, labels: list[Any]) -> np.ndarray:
    """Positions of `values` in `labels` (-1 for a label not among them), as an int array.

    Labels of any kind (int, bool, float, str, mixed) become integer codes sklearn always
    understands; a value matches a label by equality, or failing that by its text form (so a
    feedback "1" still matches the class 1).
    """
    index: dict[Any, int] = {}
    text: dict[str, int] = {}
    for i, label in enumerate(labels):
        index.setdefault(_key(label), i)
        text.setdefault(str(_key(label)), i)
    out = np.empty(len(values), dtype="int64")
    for j, value in enumerate(np.asarray(values, dtype=object).tolist()):
        key = _key(value)
        code = index.get(key)
        if code is None:
            code = text.get(str(key), -1)
        out[j] = code
    return out


def _key(value: Any) -> Any:
    """A hashable Python form of a label (numpy scalars become Python ones)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    try:
        hash(value)
    except TypeError:
        return str(value)
    return value


def classification_metrics(
    y_true: Any, y_pred: Any, proba: Any = None, classes: Any = None
) -> dict[str, float | None]:
    """accuracy, auc, precision, recall, f1 and log_loss.

    Binary: auc/precision/recall/f1 of the positive class (the last of `classes`); multiclass:
    macro averages and one-vs-rest macro AUC. `proba` columns follow `classes`. Labels may be of
    any type (int, bool, float, str): they are compared as codes into `classes`.
    """
    raw_true = np.asarray(y_true, dtype=object)
    if classes is not None:
        labels = list(classes)
    else:
        seen = {_key(v): None for v in raw_true.tolist()}
        seen.update({_key(v): None for v in np.asarray(y_pred, dtype=object).tolist()})
        labels = sorted(seen, key=lambda v: (str(type(v)), v) if _orderable(v) else ("", str(v)))
    true = label_codes(raw_true, labels)
    pred = label_codes(y_pred, labels)
    codes = list(range(len(labels)))
    binary = len(labels) == 2
    out: dict[str, float | None] = {"accuracy": _safe(float(np.mean(true == pred)))}
    if true.size == 0:
        out["accuracy"] = None
    if binary:
        # Positive class vs the rest (a label outside `classes` counts as not positive).
        a, b, avg = true == 1, pred == 1, {"average": "binary", "pos_label": True}
    else:
        a, b, avg = true, pred, {"average": "macro", "labels": codes}
    out["precision"] = _safe(skm.precision_score(a, b, zero_division=0, **avg))
    out["recall"] = _safe(skm.recall_score(a, b, zero_division=0, **avg))
    out["f1"] = _safe(skm.f1_score(a, b, zero_division=0, **avg))
    out["auc"] = None
    out["log_loss"] = None
    if proba is not None:
        proba = np.asarray(proba, dtype="float64")
        known = true >= 0
        try:
            if len(set(true[known].tolist())) > 1:
                out["auc"] = _safe(ovr_auc(true[known], proba[known], codes))
            if known.all() and true.size:
                out["log_loss"] = _safe(probability_log_loss(true, proba, codes))
        except ValueError:
            logger.warning("AUC/log loss could not be computed.", exc_info=True)
    return out


def _orderable(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool))


def ovr_auc(y: Any, proba: Any, classes: Any) -> float:
    """AUC of class probabilities (columns in `classes` order): of the last class for two
    classes, else the macro mean of one-vs-rest AUCs over the classes present both ways in `y`.
    NaN when no class has positives and negatives."""
    y = np.asarray(y)
    proba = np.asarray(proba, dtype="float64")
    classes = list(classes)
    pairs = [(len(classes) - 1, classes[-1])] if len(classes) == 2 else enumerate(classes)
    scores = []
    for j, label in pairs:
        positive = y == label
        if positive.any() and (~positive).any():
            scores.append(skm.roc_auc_score(positive, proba[:, j]))
    return float(np.mean(scores)) if scores else float("nan")


def probability_log_loss(y: Any, proba: Any, classes: Any) -> float:
    """Log loss of class probabilities (columns in `classes` order), clipped to [1e-15, 1] and
    renormalised so a hard 0 or a row not summing to one stays finite."""
    clipped = np.clip(np.asarray(proba, dtype="float64"), 1e-15, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return float(skm.log_loss(y, clipped, labels=list(classes)))


def error_metrics(errors: Any) -> dict[str, float | None]:
    """rmse and mae of forecast or prediction errors (None when there are none)."""
    err = np.asarray(errors, dtype="float64")
    if not err.size:
        return {"rmse": None, "mae": None}
    return {"rmse": _safe(np.sqrt(np.mean(err**2))), "mae": _safe(np.mean(np.abs(err)))}


def _mape(actual: np.ndarray, err: np.ndarray) -> float:
    """Mean absolute percentage error over the rows whose actual value is not zero (NaN if none)."""
    nonzero = np.abs(actual) > 1e-12
    if not nonzero.any():
        return float("nan")
    return float(np.mean(np.abs(err[nonzero]) / np.abs(actual[nonzero]))) * 100


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float | None]:
    """rmse, mae, r2 and mape (percent, over the rows whose target is not zero)."""
    y_true = np.asarray(y_true, dtype="float64")
    y_pred = np.asarray(y_pred, dtype="float64")
    err = y_pred - y_true
    r2 = skm.r2_score(y_true, y_pred) if y_true.size > 1 else float("nan")
    return {**error_metrics(err), "r2": _safe(r2), "mape": _safe(_mape(y_true, err))}


def mase_scale(train: Any, m: int, *, floor: bool = True) -> float | None:
    """The MASE denominator: in-sample MAE of the seasonal naive forecast (season `m`), or of
    the naive one when the series is too short or its seasonal differences are all zero.

    For a flat series both are zero: with `floor` the scale is a tiny positive number (a
    thousandth of the mean level, at least 1e-9) so MASE stays finite; without, None.
    """
    x = np.asarray(train, dtype="float64")
    x = x[np.isfinite(x)]
    for lag in (max(int(m), 1), 1):
        if len(x) > lag:
            scale = float(np.mean(np.abs(x[lag:] - x[:-lag])))
            if scale > 1e-12:
                return scale
    if not floor:
        return None
    return max(float(np.mean(np.abs(x))) * 1e-3, 1e-9) if len(x) else 1e-9


def forecast_metrics(actual: Any, forecast: Any, scale: float) -> dict[str, float]:
    """MASE (against `scale`), sMAPE and MAPE (percent), RMSE and MAE of a forecast over the
    known actual values; empty when none is known. Raw floats (MAPE is NaN when every actual is
    zero)."""
    actual = np.asarray(actual, dtype="float64")
    forecast = np.asarray(forecast, dtype="float64")
    ok = np.isfinite(actual)
    a, p = actual[ok], forecast[ok]
    if len(a) == 0:
        return {}
    err = a - p
    mae = float(np.mean(np.abs(err)))
    denom = np.abs(a) + np.abs(p)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0)))
    return {
        "mase": mae / scale,
        "smape": smape * 100,
        "mape": _mape(a, err),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": mae,
    }


def score_value(metrics: dict[str, float | None], problem_type: str) -> float:
    """The primary metric as "greater is better" (errors negated); -inf when absent."""
    name, greater = primary_metric(problem_type)
    value = metrics.get(name)
    if value is None:
        return -math.inf
    return float(value) if greater else -float(value)
