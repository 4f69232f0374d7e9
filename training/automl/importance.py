"""Feature importance of the candidates, through `features.importance`: the model's own,
permutation importance on hold-out rows for models without one (within the time left), and a
blend's as its members' weighted (`merge_importances`). Shares sum to one. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from features.importance import importance_shares, model_importances, permutation_importances

__all__ = ["own_importance", "permutation_shares"]


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
    return importance_shares(names, np.asarray([by_name[n] for n in names]))


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
    # Raw column names have no step prefix to strip ('a__b' is a column's own name).
    return importance_shares(names, np.asarray([by_name[n] for n in names]), strip_prefix=False)
