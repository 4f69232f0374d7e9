"""Scores of tabular models on held-out rows, as JSON-safe dicts (NaN and inf become None).

Django-free.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

__all__ = [
    "classification_metrics",
    "label_codes",
    "primary_metric",
    "regression_metrics",
    "score_value",
]

logger = logging.getLogger(__name__)


def _safe(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def primary_metric(problem_type: str) -> tuple[str, bool]:
    """The metric that ranks models for `problem_type` and whether greater is better."""
    if problem_type == "classification":
        return "auc", True
    return "rmse", False


def label_codes(values: Any, labels: list) -> np.ndarray:
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
        present = set(true[known].tolist())
        try:
            if binary and len(present) == 2:
                out["auc"] = _safe(skm.roc_auc_score(true[known] == 1, proba[known, 1]))
            elif not binary and len(present) > 1:
                out["auc"] = _safe(_macro_ovr_auc(true[known], proba[known], codes))
            if known.all() and true.size:
                clipped = np.clip(proba, 1e-15, 1.0)
                clipped = clipped / clipped.sum(axis=1, keepdims=True)
                out["log_loss"] = _safe(skm.log_loss(true, clipped, labels=codes))
        except ValueError:
            logger.warning("AUC/log loss could not be computed.", exc_info=True)
    return out


def _orderable(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool))


def _macro_ovr_auc(y_true: np.ndarray, proba: np.ndarray, labels: list) -> float:
    """Macro one-vs-rest AUC over the classes present in `y_true` (absent ones are skipped)."""
    scores = []
    for j, label in enumerate(labels):
        positive = y_true == label
        if positive.any() and (~positive).any():
            scores.append(skm.roc_auc_score(positive, proba[:, j]))
    return float(np.mean(scores)) if scores else float("nan")


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float | None]:
    """rmse, mae, r2 and mape (mape over the rows whose target is not zero)."""
    y_true = np.asarray(y_true, dtype="float64")
    y_pred = np.asarray(y_pred, dtype="float64")
    err = y_pred - y_true
    nonzero = np.abs(y_true) > 1e-12
    mape = np.mean(np.abs(err[nonzero] / y_true[nonzero])) if nonzero.any() else float("nan")
    r2 = skm.r2_score(y_true, y_pred) if y_true.size > 1 else float("nan")
    return {
        "rmse": _safe(np.sqrt(np.mean(err**2))) if y_true.size else None,
        "mae": _safe(np.mean(np.abs(err))) if y_true.size else None,
        "r2": _safe(r2),
        "mape": _safe(mape),
    }


def score_value(metrics: dict[str, float | None], problem_type: str) -> float:
    """The primary metric as "greater is better" (errors negated); -inf when absent."""
    name, greater = primary_metric(problem_type)
    value = metrics.get(name)
    if value is None:
        return -math.inf
    return float(value) if greater else -float(value)
