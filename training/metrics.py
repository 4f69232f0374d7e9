"""Scores of tabular models on held-out rows, as JSON-safe dicts (NaN and inf become None).

Django-free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

__all__ = ["classification_metrics", "primary_metric", "regression_metrics", "score_value"]


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


def classification_metrics(
    y_true: Any, y_pred: Any, proba: Any = None, classes: Any = None
) -> dict[str, float | None]:
    """accuracy, auc, precision, recall, f1 and log_loss.

    Binary: auc/precision/recall/f1 of the positive class (the last of `classes`); multiclass:
    macro averages and one-vs-rest macro AUC. `proba` columns follow `classes`.
    """
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    labels = list(classes) if classes is not None else sorted(set(y_true.tolist()), key=str)
    binary = len(labels) == 2
    out: dict[str, float | None] = {"accuracy": _safe(skm.accuracy_score(y_true, y_pred))}
    if binary:
        avg: dict[str, Any] = {"average": "binary", "pos_label": labels[1]}
    else:
        avg = {"average": "macro", "labels": labels}
    out["precision"] = _safe(skm.precision_score(y_true, y_pred, zero_division=0, **avg))
    out["recall"] = _safe(skm.recall_score(y_true, y_pred, zero_division=0, **avg))
    out["f1"] = _safe(skm.f1_score(y_true, y_pred, zero_division=0, **avg))
    out["auc"] = None
    out["log_loss"] = None
    if proba is not None:
        proba = np.asarray(proba, dtype="float64")
        present = set(y_true.tolist())
        try:
            if binary and len(present) == 2:
                out["auc"] = _safe(skm.roc_auc_score(y_true == labels[1], proba[:, 1]))
            elif not binary and len(present) > 1:
                out["auc"] = _safe(_macro_ovr_auc(y_true, proba, labels))
            clipped = np.clip(proba, 1e-15, 1.0)
            clipped = clipped / clipped.sum(axis=1, keepdims=True)
            out["log_loss"] = _safe(skm.log_loss(y_true, clipped, labels=labels))
        except ValueError:
            pass
    return out


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
