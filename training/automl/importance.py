"""Feature importance of the candidates: the model's own (`features.importance`), permutation
importance on hold-out rows for models without one, and a blend's as its members' weighted.
Shares sum to one. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from features.importance import model_importances, permutation_importances

__all__ = ["importance_list", "merge_importance", "own_importance", "permutation_shares"]


def own_importance(pipe: Pipeline) -> list[dict[str, Any]] | None:
    """Importances the model carries itself (`feature_importances_` or |coef_|), on the
    transformed feature names; None for a model without them (knn, svm, mlp, hist gradient
    boosting)."""
    try:
        ranked = model_importances(pipe)
    except (AttributeError, ValueError):
        return None
    if ranked is None:
        return None
    names = [str(n) for n in Pipeline(pipe.steps[:-1]).get_feature_names_out()]
    by_name = {r["feature"]: r["importance"] for r in ranked}
    return importance_list(names, np.asarray([by_name[n] for n in names]))


def importance_list(names: list[str], values: np.ndarray) -> list[dict[str, Any]]:
    """[{feature, importance}] largest first, negatives as zero, shares of one; a transformed
    name loses its step prefix ('num__age' -> 'age')."""
    values = np.nan_to_num(np.maximum(np.asarray(values, dtype=float), 0.0))
    total = values.sum()
    if total > 0:
        values = values / total
    pairs = [
        {"feature": n.split("__", 1)[-1], "importance": float(v)}
        for n, v in zip(names, values, strict=True)
    ]
    return sorted(pairs, key=lambda d: d["importance"], reverse=True)


def permutation_shares(
    pipe: Any, X: pd.DataFrame, y: pd.Series, problem_type: str, seed: int, n_rows: int = 300
) -> list[dict[str, Any]]:
    """Permutation importance of the raw columns on `n_rows` random hold-out rows (two
    repeats), as shares."""
    rows = np.random.default_rng(seed).permutation(len(y))[:n_rows]
    scoring = "accuracy" if problem_type == "classification" else "neg_mean_squared_error"
    ranked = permutation_importances(
        pipe,
        X.iloc[rows],
        y.iloc[rows],
        scoring=scoring,
        n_repeats=2,
        random_state=seed,
        max_rows=len(rows),
    )
    by_name = {r["feature"]: r["importance"] for r in ranked}
    names = [str(c) for c in X.columns]
    return importance_list(names, np.asarray([by_name[n] for n in names]))


def merge_importance(parts: list[tuple[list[dict[str, Any]], float]]) -> list[dict[str, Any]]:
    """The weighted sum of several importance lists, as shares."""
    total: dict[str, float] = {}
    for items, weight in parts:
        for item in items:
            total[item["feature"]] = total.get(item["feature"], 0.0) + weight * item["importance"]
    names = list(total)
    return importance_list(names, np.asarray([total[n] for n in names]))
