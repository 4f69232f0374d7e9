"""Scores of predictions: out-of-fold scores and their spread over the folds, per-epoch losses
and metrics, and the hold-out metrics of a fitted model. Django-free.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, log_loss, roc_auc_score

from training.metrics import classification_metrics, regression_metrics

__all__ = [
    "aligned_proba",
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
    """(primary metric raw value, sort key with greater better) of out-of-fold predictions."""
    if classes is None:
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        mae = float(np.mean(np.abs(pred - y)))
        if not math.isfinite(rmse):
            return None, (-math.inf, -math.inf)
        return rmse, (-rmse, -mae)
    proba = np.clip(pred, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    try:
        ll = float(log_loss(y, proba, labels=list(classes)))
    except ValueError:
        ll = math.inf
    try:
        if len(classes) == 2:
            auc = float(roc_auc_score(y == classes[1], proba[:, 1]))
        else:
            scores = [
                roc_auc_score(y == c, proba[:, j])
                for j, c in enumerate(classes)
                if (y == c).any() and (y != c).any()
            ]
            auc = float(np.mean(scores)) if scores else float("nan")
    except ValueError:
        auc = float("nan")
    if not math.isfinite(auc):
        return None, (-math.inf, -ll)
    return auc, (auc, -ll)


def fold_spread(
    y: np.ndarray, oof: np.ndarray, folds: list[np.ndarray], classes: np.ndarray | None
) -> float:
    """Standard deviation of the primary metric over the given validation folds (0 for one)."""
    values = [oof_score(y[va], oof[va], classes)[0] for va in folds]
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.std(values)) if len(values) > 1 else 0.0


def epoch_loss(y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None) -> float:
    """The training loss of one epoch: mean squared error, or log loss."""
    if classes is None:
        return float(np.mean((pred - y) ** 2))
    proba = np.clip(pred, 1e-15, 1.0)
    return float(log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=list(classes)))


def epoch_metrics(y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None) -> dict:
    """The figures shown per epoch: rmse, mae and r2, or accuracy and AUC."""
    if classes is None:
        return {k: v for k, v in regression_metrics(y, pred).items() if k in ("rmse", "mae", "r2")}
    labels = classes[np.argmax(pred, axis=1)]
    value, _ = oof_score(y, pred, classes)
    return {"accuracy": float(np.mean(labels == y)), "auc": value}


def holdout_scores(
    pipe: Any, X: pd.DataFrame, y: pd.Series, classes: np.ndarray | None
) -> tuple[dict[str, Any], list[list[int]] | None, float]:
    """(hold-out metrics, confusion matrix or None, milliseconds per predicted row)."""
    t0 = time.perf_counter()
    pred = pipe.predict(X)
    proba = aligned_proba(pipe, X, classes) if classes is not None else None
    per_row_ms = (time.perf_counter() - t0) * 1000.0 / max(len(X), 1)
    if classes is None:
        return regression_metrics(y.to_numpy(), pred), None, per_row_ms
    metrics = classification_metrics(y.to_numpy(), pred, proba, list(classes))
    matrix = confusion_matrix(y.to_numpy(), pred, labels=list(classes)).astype(int).tolist()
    return metrics, matrix, per_row_ms
