"""The leaderboard entries a run returns (`CandidateResult`) and their final order.
Django-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.automl.ranking import RankKey, full_first

__all__ = ["CandidateResult", "Scored", "leaderboard_of"]


@dataclass
class CandidateResult:
    """One leaderboard model: fitted on the training rows, scored on the hold-out."""

    algorithm: str
    hyperparameters: dict[str, Any]
    pipeline: Any
    cv_score: float | None
    test_metrics: dict[str, Any]
    primary_metric: str
    primary_value: float
    confusion_matrix: list[list[int]] | None = None
    # Regression: hold-out residual figures and a sample of actual/predicted values
    # (`modeling.metrics.residual_analysis`); None for classification.
    residual_analysis: dict[str, Any] | None = None
    classes: list[Any] | None = None
    feature_importance: list[dict[str, Any]] = field(default_factory=list)
    fit_time_s: float = 0.0
    inference_time_ms: float = 0.0
    epochs: list[dict[str, Any]] = field(default_factory=list)
    rank: int = 0
    # How `feature_importance` was measured: "model" (the model's own), "permutation" (on the
    # hold-out rows), "blend" (members' weighted by the blend) or "none".
    importance_method: str = "none"


@dataclass
class Scored:
    """A candidate before ranking: its hold-out figures and how its CV score ranks."""

    algorithm: str
    params: dict[str, Any]
    pipeline: Any
    cv_value: float | None
    key: RankKey
    full: bool  # scored on every fold
    metrics: dict[str, Any]
    matrix: list[list[int]] | None
    per_row_ms: float
    fit_s: float
    epochs: list[dict[str, Any]] = field(default_factory=list)
    importance: list[dict[str, Any]] = field(default_factory=list)
    importance_method: str = "none"
    residuals: dict[str, Any] | None = None

    def result(self, metric_name: str, classes: np.ndarray | None) -> CandidateResult:
        """The candidate as returned (rank still 0); the primary value falls back to the CV
        score when the hold-out could not measure it."""
        value = self.metrics.get(metric_name)
        if value is None:
            value = self.cv_value if self.cv_value is not None else float("nan")
        return CandidateResult(
            algorithm=self.algorithm,
            hyperparameters=self.params,
            pipeline=self.pipeline,
            cv_score=self.cv_value,
            test_metrics=self.metrics,
            primary_metric=metric_name,
            primary_value=float(value),
            confusion_matrix=self.matrix,
            residual_analysis=self.residuals,
            classes=classes.tolist() if classes is not None else None,
            feature_importance=self.importance,
            fit_time_s=round(float(self.fit_s), 4),
            inference_time_ms=round(float(self.per_row_ms), 5),
            epochs=self.epochs,
            importance_method=self.importance_method if self.importance else "none",
        )


def leaderboard_of(
    scored: list[Scored], metric_name: str, classes: np.ndarray | None
) -> list[CandidateResult]:
    """The candidates ranked 1..n: fully cross-validated ones first, ties by `ranking`."""
    ordered = full_first(scored, lambda s: s.key, lambda s: s.full)
    results = [s.result(metric_name, classes) for s in ordered]
    for i, res in enumerate(results, start=1):
        res.rank = i
    return results
