"""Feature selection for the `features/select` answer: score every column against the target and
keep the best ones.

The caller must pass TRAINING rows only: the scores (and the encoders/imputers used to compute
them) are fitted on what is passed, so validation or test rows here would leak into the choice.
Django-free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

__all__ = ["METHODS", "PROBLEM_TYPES", "FeatureSelectionError", "select_features"]

METHODS = {
    "mutual_info": "Mutual information with the target (captures non-linear links).",
    "correlation": (
        "Absolute Pearson correlation with the target (regression) or correlation ratio "
        "(classification)."
    ),
    "variance": "Variance of the column (unsupervised); categorical columns use Gini impurity.",
    "model_based": "Impurity importance from a small Extra-Trees model.",
}
PROBLEM_TYPES = ("classification", "regression", "forecasting")
_MAX_MODEL_ROWS = 20_000  # model_based subsamples beyond this to stay fast


class FeatureSelectionError(ValueError):
    """Bad selection request: unknown method or problem type, bad k/threshold, unusable data."""


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _scoring_matrix(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Numeric matrix for scoring (categories as codes, gaps filled) and the categorical mask."""
    columns = []
    categorical = []
    for name in X.columns:
        series = X[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            stamps = series.to_numpy(dtype="datetime64[ns]").astype("int64")
            values = pd.Series(stamps, index=series.index).where(series.notna()).astype(float)
            is_cat = False
        elif _is_categorical(series):
            # Missing values become their own category; codes are in order of first appearance.
            labels = series.astype(object).where(series.notna(), "__missing__")
            values = pd.Series(pd.factorize(labels)[0])
            values = values.astype(float)
            is_cat = True
        else:
            values = series.astype(float)
            is_cat = False
        values = values.replace([np.inf, -np.inf], np.nan)
        fill = values.median()
        columns.append(values.fillna(0.0 if pd.isna(fill) else fill).to_numpy())
        categorical.append(is_cat)
    return np.column_stack(columns), np.array(categorical, dtype=bool)


def _correlation_scores(matrix: np.ndarray, y: np.ndarray, classification: bool) -> np.ndarray:
    """|Pearson r| for a numeric target; the correlation ratio (eta) for class labels."""
    scores = np.zeros(matrix.shape[1])
    for j in range(matrix.shape[1]):
        x = matrix[:, j]
        total = ((x - x.mean()) ** 2).sum()
        if total <= 0:
            continue
        if classification:
            between = sum(
                (y == label).sum() * (x[y == label].mean() - x.mean()) ** 2
                for label in np.unique(y)
            )
            scores[j] = math.sqrt(between / total)
        else:
            y_dev = y - y.mean()
            denom = math.sqrt(total * (y_dev**2).sum())
            scores[j] = abs(((x - x.mean()) * y_dev).sum() / denom) if denom else 0.0
    return scores


def _variance_scores(matrix: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    scores: np.ndarray = matrix.var(axis=0)
    for j in np.flatnonzero(categorical):
        shares = np.unique(matrix[:, j], return_counts=True)[1] / len(matrix)
        scores[j] = 1.0 - (shares**2).sum()
    return scores


def _check_k(k: Any, n_features: int) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise FeatureSelectionError("k must be a whole number.")
    if not 1 <= k <= n_features:
        raise FeatureSelectionError(
            f"k must be between 1 and the number of features ({n_features})."
        )
    return int(k)


def _check_threshold(threshold: Any, method: str) -> float | None:
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
        raise FeatureSelectionError("threshold must be a number.")
    value = float(threshold)
    if not math.isfinite(value) or value < 0:
        raise FeatureSelectionError("threshold must be a finite number >= 0 (scores are >= 0).")
    if method == "correlation" and value > 1:
        raise FeatureSelectionError("threshold must be at most 1 for correlation.")
    return value


def select_features(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    problem_type: str,
    method: str,
    k: int | None = None,
    threshold: float | None = None,
    random_state: int = 0,
) -> dict[str, Any]:
    """Score each column of `X` (TRAINING rows only) with `method` and select the best ones.

    Keeps columns scoring above `threshold`, then the top `k` of those. With neither given,
    variance keeps non-constant columns and the other methods keep columns scoring at least the
    mean score (scikit-learn's SelectFromModel convention). `selected` keeps X's column order;
    `scores` is sorted, largest first.
    """
    if method not in METHODS:
        raise FeatureSelectionError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    if problem_type not in PROBLEM_TYPES:
        raise FeatureSelectionError(
            f"Unknown problem type {problem_type!r}; use one of {list(PROBLEM_TYPES)}."
        )
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        raise FeatureSelectionError("X must be a DataFrame with at least one column.")
    if len(X) != len(y):
        raise FeatureSelectionError("X and y must have the same number of rows.")
    k = _check_k(k, X.shape[1])
    threshold = _check_threshold(threshold, method)

    known = pd.Series(y).notna().to_numpy()
    X, y = X.loc[known], pd.Series(y)[known]
    if len(X) < 3:
        raise FeatureSelectionError("At least 3 rows with a target value are needed.")
    matrix, categorical = _scoring_matrix(X)
    classification = problem_type == "classification"
    target = pd.factorize(y)[0] if classification or _is_categorical(y) else y.to_numpy(dtype=float)

    if method == "variance":
        scores = _variance_scores(matrix, categorical)
    elif method == "correlation":
        scores = _correlation_scores(matrix, target, classification)
    elif method == "mutual_info":
        scorer = mutual_info_classif if classification else mutual_info_regression
        # A categorical column where no value repeats (an id) carries no usable information,
        # and the estimator cannot handle it: it scores 0.
        usable = ~categorical | np.array(
            [len(np.unique(matrix[:, j])) < len(matrix) for j in range(matrix.shape[1])]
        )
        scores = np.zeros(matrix.shape[1])
        if usable.any():
            scores[usable] = scorer(
                matrix[:, usable],
                target,
                discrete_features=categorical[usable],
                n_neighbors=min(3, len(X) - 1),
                random_state=random_state,
                n_jobs=1,
            )
    else:
        model_cls = ExtraTreesClassifier if classification else ExtraTreesRegressor
        model = model_cls(n_estimators=100, min_samples_leaf=2, n_jobs=1, random_state=random_state)
        rows = np.arange(len(X))
        if len(rows) > _MAX_MODEL_ROWS:
            rows = np.random.default_rng(random_state).choice(rows, _MAX_MODEL_ROWS, replace=False)
        model.fit(matrix[rows], target[rows])
        scores = model.feature_importances_
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)

    names = [str(c) for c in X.columns]
    if threshold is None and k is None:
        effective: float | None = 0.0 if method == "variance" else float(scores.mean())
        keep = scores > 0.0 if method == "variance" else scores >= effective
    else:
        effective = threshold
        keep = scores > threshold if threshold is not None else np.ones(len(scores), dtype=bool)
    if k is not None:
        ranked = [j for j in np.argsort(-scores, kind="stable") if keep[j]][:k]
        keep = np.zeros(len(scores), dtype=bool)
        keep[ranked] = True
    order = np.argsort(-scores, kind="stable")
    return {
        "selected": [names[j] for j in range(len(names)) if keep[j]],
        "scores": {names[j]: round(float(scores[j]), 6) for j in order},
        "method": method,
        "k": k,
        "threshold": None if effective is None else round(float(effective), 6),
    }
