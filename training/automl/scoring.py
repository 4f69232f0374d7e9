"""Scores of predictions: out-of-fold scores and their spread over the folds, per-epoch losses
and metrics, and the hold-out metrics of a fitted model. Django-free.
"""

from __future__ import annotations

import math
import time
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from modeling.metrics import (
    classification_metrics,
    error_metrics,
    ovr_auc,
    probability_log_loss,
    regression_metrics,
    residual_analysis,
)

__all__ = [
    "Holdout",
    "aligned_proba",
    "call_seconds",
    "epoch_loss",
    "epoch_metrics",
    "fold_spread",
    "holdout_scores",
    "oof_score",
    "predict_for_score",
]


def aligned_proba(model: Any, X: pd.DataFrame, classes: np.ndarray) -> np.ndarray:
    """`model`'s class probabilities with one column per entry of `classes`, in that order."""
    proba = np.asarray(model.predict_proba(X), dtype="float64")
    if list(model.classes_) == list(classes):
        return proba
    out = np.zeros((len(X), len(classes)))
    pos = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, pos[c]] = proba[:, j]
    return out


def predict_for_score(model: Any, X: pd.DataFrame, classes: np.ndarray | None) -> np.ndarray:
    """What the scores are computed on: aligned probabilities, or predicted values."""
    if classes is not None:
        return aligned_proba(model, X, classes)
    return np.asarray(model.predict(X), dtype="float64")


def oof_score(
    y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None
) -> tuple[float | None, tuple[float, float]]:
    """(primary metric raw value, sort key with greater better) of out-of-fold predictions:
    RMSE (then MAE), or AUC (then log loss), from `modeling.metrics`."""
    if classes is None:
        errors = error_metrics(pred - y)
        if errors["rmse"] is None or errors["mae"] is None:
            return None, (-math.inf, -math.inf)
        return errors["rmse"], (-errors["rmse"], -errors["mae"])
    try:
        ll = probability_log_loss(y, pred, classes)
    except ValueError:
        ll = math.inf
    try:
        auc = ovr_auc(y, pred, classes)
    except ValueError:
        auc = float("nan")
    if not math.isfinite(auc):
        return None, (-math.inf, -ll)
    return auc, (auc, -ll)


def fold_spread(
    y: np.ndarray, oof: np.ndarray, folds: list[np.ndarray], classes: np.ndarray | None
) -> float:
    """Standard deviation of the primary metric over the given validation folds (0 for one)."""
    scores = [oof_score(y[va], oof[va], classes)[0] for va in folds]
    values = [v for v in scores if v is not None and math.isfinite(v)]
    return float(np.std(values)) if len(values) > 1 else 0.0


def epoch_loss(y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None) -> float:
    """The training loss of one epoch: mean squared error, or log loss."""
    if classes is None:
        return float(np.mean((pred - y) ** 2))
    return probability_log_loss(y, pred, classes)


def epoch_metrics(
    y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None
) -> dict[str, float | None]:
    """The figures shown per epoch: rmse, mae and r2, or accuracy and AUC."""
    if classes is None:
        return {k: v for k, v in regression_metrics(y, pred).items() if k in ("rmse", "mae", "r2")}
    labels = classes[np.argmax(pred, axis=1)]
    value, _ = oof_score(y, pred, classes)
    return {"accuracy": float(np.mean(labels == y)), "auc": value}


def call_seconds(pipe: Any, X: pd.DataFrame) -> float:
    """Seconds one prediction of `pipe` takes whatever its size (its per-call overhead), timed on
    a single row."""
    t0 = time.perf_counter()
    pipe.predict(X.iloc[:1])
    return time.perf_counter() - t0


class Holdout(NamedTuple):
    """A fitted model's figures on the hold-out rows."""

    metrics: dict[str, Any]
    matrix: list[list[int]] | None  # the confusion matrix (classification)
    per_row_ms: float  # milliseconds per predicted row
    residuals: dict[str, Any] | None  # `modeling.metrics.residual_analysis` (regression)


def holdout_scores(pipe: Any, X: pd.DataFrame, y: pd.Series, classes: np.ndarray | None) -> Holdout:
    """The hold-out metrics, with a confusion matrix (classification) or a residual analysis
    (regression), and the milliseconds per predicted row."""
    t0 = time.perf_counter()
    pred = pipe.predict(X)
    proba = aligned_proba(pipe, X, classes) if classes is not None else None
    per_row_ms = (time.perf_counter() - t0) * 1000.0 / max(len(X), 1)
    if classes is None:
        actual = y.to_numpy()
        return Holdout(
            regression_metrics(actual, pred), None, per_row_ms, residual_analysis(actual, pred)
        )
    metrics = classification_metrics(y.to_numpy(), pred, proba, list(classes))
    matrix = confusion_matrix(y.to_numpy(), pred, labels=list(classes)).astype(int).tolist()
    return Holdout(metrics, matrix, per_row_ms, None)
