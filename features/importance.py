"""Feature importance of a fitted model for the `features/importance` answer and the model card:
the model's own importances, or permutation importance on raw input columns; and the shares the
model card stores (non-negative, summing to one, a blend's as its members' weighted sum).
Django-free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from preprocessing.transformers import MISSING_TOKEN

# One-hot level suffixes that are codes, not values: the missing level and the rare-level group.
_LEVEL_WORDS = {MISSING_TOKEN: "missing", "infrequent_sklearn": "rare levels"}

__all__ = [
    "by_column",
    "feature_label",
    "importance_shares",
    "merge_importances",
    "model_importances",
    "permutation_importances",
]


def _final_model(estimator: Any) -> Any:
    """The estimator that holds the importances, unwrapping searches and target transformers."""
    for attr in ("best_estimator_", "regressor_"):
        inner = getattr(estimator, attr, None)
        if inner is not None:
            return _final_model(inner)
    return estimator


def _as_float(value: Any) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _ranked(names: list[str], values: np.ndarray, **extra: np.ndarray) -> list[dict[str, Any]]:
    rows = [
        {
            "feature": str(name),
            "importance": _as_float(value),
            **{k: _as_float(v[i]) for k, v in extra.items()},
        }
        for i, (name, value) in enumerate(zip(names, values, strict=True))
    ]
    return sorted(rows, key=lambda r: r["importance"], reverse=True)


def model_importances(
    pipeline: Any, feature_names: list[str] | None = None
) -> list[dict[str, Any]] | None:
    """The last step's `feature_importances_` (or |coef_|, averaged over classes), named after the
    preprocessing output, largest first; None when the model exposes neither.
    """
    is_pipeline = isinstance(pipeline, Pipeline)
    model = _final_model(pipeline[-1] if is_pipeline else pipeline)
    if hasattr(model, "feature_importances_"):
        values = np.asarray(model.feature_importances_, dtype=float)
    elif hasattr(model, "coef_"):
        values = np.abs(np.asarray(model.coef_, dtype=float))
        if values.ndim > 1:
            values = values.mean(axis=0)
    else:
        return None
    values = values.ravel()
    if feature_names is None:
        if is_pipeline and len(pipeline) > 1:
            feature_names = list(pipeline[:-1].get_feature_names_out())
        elif hasattr(model, "feature_names_in_"):
            feature_names = list(model.feature_names_in_)
        else:
            feature_names = [f"x{i}" for i in range(len(values))]
    if len(feature_names) != len(values):
        raise ValueError(
            f"{len(feature_names)} feature names for {len(values)} importances: "
            "pass the names the model was fitted on."
        )
    return _ranked(list(feature_names), values)


def permutation_importances(
    pipeline: Any,
    X_val: pd.DataFrame,
    y_val: pd.Series,
    *,
    scoring: str | None = None,
    n_repeats: int = 5,
    random_state: int = 0,
    max_rows: int = 2000,
) -> list[dict[str, Any]]:
    """Drop in validation score when each RAW input column of `X_val` is shuffled (n_jobs=1).

    Uses the last `max_rows` rows (keeping their order, which lag/rolling features rely on) and
    skips rows without a target. Each item also carries `std` over the repeats; largest first.
    """
    if len(y_val) != len(X_val):
        raise ValueError("X_val and y_val must have the same number of rows.")
    y_val = pd.Series(y_val).reset_index(drop=True).set_axis(X_val.index)
    known = y_val.notna().to_numpy()
    X_val, y_val = X_val.loc[known], y_val[known]
    if len(X_val) > max_rows:
        X_val, y_val = X_val.iloc[-max_rows:], y_val.iloc[-max_rows:]
    if len(X_val) == 0:
        raise ValueError("No validation rows with a target value.")
    result = permutation_importance(
        pipeline,
        X_val,
        y_val,
        scoring=scoring,
        n_repeats=n_repeats,
        random_state=random_state,
        n_jobs=1,
    )
    names = [str(c) for c in X_val.columns]
    return _ranked(names, result.importances_mean, std=result.importances_std)


def importance_shares(
    names: list[str], values: Any, *, strip_prefix: bool = True
) -> list[dict[str, Any]]:
    """[{feature, importance}] largest first as shares of one (negative or missing values count
    as zero); with `strip_prefix`, a transformed name loses its step prefix ('num__age' -> 'age',
    'onehot__Home___missing__' -> 'Home___missing__'). Names already stripped, or raw column
    names, must not be stripped again: 'Home___missing__' would become '_missing__'."""
    shares = np.nan_to_num(np.maximum(np.asarray(values, dtype=float), 0.0))
    total = shares.sum()
    if total > 0:
        shares = shares / total
    pairs = [
        {"feature": str(n).split("__", 1)[-1] if strip_prefix else str(n), "importance": float(v)}
        for n, v in zip(names, shares, strict=True)
    ]
    return sorted(pairs, key=lambda d: d["importance"], reverse=True)


def merge_importances(parts: list[tuple[list[dict[str, Any]], float]]) -> list[dict[str, Any]]:
    """The weighted sum of several importance lists (each with its weight), as shares; the
    names are kept as the lists give them."""
    total: dict[str, float] = {}
    for items, weight in parts:
        for item in items:
            total[item["feature"]] = total.get(item["feature"], 0.0) + weight * item["importance"]
    names = list(total)
    return importance_shares(names, np.asarray([total[n] for n in names]), strip_prefix=False)


def by_column(items: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """Importance shares summed per input column: a transformed feature name ('Status_good', a
    one-hot level; 'missingindicator_Assets', a missing-value flag) counts for the column it
    comes from (the longest column name it starts with); names of no column stay as they are.
    A blend's members give their importances on different names (a model's own on transformed
    features, permutation on input columns), so they are summed on columns before merging."""
    ordered = sorted((str(c) for c in columns), key=len, reverse=True)
    known = set(ordered)
    total: dict[str, float] = {}
    for item in items:
        name = str(item["feature"])
        bare = name.removeprefix("missingindicator_")
        column = (
            bare if bare in known else next((c for c in ordered if bare.startswith(c + "_")), name)
        )
        total[column] = total.get(column, 0.0) + float(item["importance"])
    names = list(total)
    return importance_shares(names, np.asarray([total[n] for n in names]), strip_prefix=False)


def feature_label(name: str) -> str:
    """An importance name for people: a one-hot level that is a code names its column and what
    it stands for ('Home___missing__' -> 'Home: missing', 'Job_infrequent_sklearn' -> 'Job: rare
    levels'); any other name as it is."""
    text = str(name)
    for code, words in _LEVEL_WORDS.items():
        if text.endswith("_" + code) and len(text) > len(code) + 1:
            return f"{text[: -len(code) - 1]}: {words}"
    return text
