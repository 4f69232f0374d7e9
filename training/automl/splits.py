"""How the rows are split: the hold-out, the validation folds of the training rows, and the row
caps of slow algorithms. Django-free.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from preprocessing.builder import drop_training_rows
from training.automl.settings import AutoMLError, AutoMLSettings

__all__ = ["ROW_CAPS", "Split", "cap_rows", "capped_rows", "holdout_split", "make_folds", "split"]

# Per-fit guard: slow algorithms are trained on at most this many rows.
ROW_CAPS = {"svm": 2500, "knn": 20000, "gradient_boosting": 30000, "mlp": 50000}

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Split:
    """The training rows (with their validation folds) and the hold-out rows."""

    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    folds: Folds
    dropped_missing: int = 0  # training rows dropped for a missing value ("drop")
    dropped_outliers: int = 0  # training rows dropped for an outlier ("remove")


def _can_stratify(y: pd.Series, n_splits: int) -> bool:
    return int(y.value_counts().min()) >= n_splits


def _stratified_split(
    idx: np.ndarray, y: pd.Series, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded (train, test) split of the positions `idx` stratified by the labels `y` (aligned
    with `idx`). The rows of a class with a single row stay in training: it cannot be
    represented on both sides, and a model that never saw it could not predict it. Unstratified
    when too few rows remain to stratify."""
    counts = y.value_counts()
    single = y.isin(counts.index[counts < 2]).to_numpy()
    rest = idx[~single]
    if len(rest) < 2:  # nothing left to split by class
        rest, single = idx, np.zeros(len(idx), dtype=bool)
    strat = y.to_numpy()[~single] if single.any() else y
    try:
        train, test = train_test_split(rest, test_size=test_size, random_state=seed, stratify=strat)
    except ValueError:  # fewer test (or training) rows than classes
        train, test = train_test_split(rest, test_size=test_size, random_state=seed)
    return np.concatenate([np.asarray(train), idx[single]]), np.asarray(test)


def holdout_split(
    X: pd.DataFrame, y: pd.Series, problem_type: str, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the training and hold-out rows (stratified by class for classification; the
    rows of a class with a single row stay in training)."""
    idx = np.arange(len(y))
    if problem_type == "classification":
        return _stratified_split(idx, y, test_size, seed)
    train, test = train_test_split(idx, test_size=test_size, random_state=seed)
    return np.asarray(train), np.asarray(test)


def make_folds(
    y: pd.Series, problem_type: str, cross_validation: bool, cv_folds: int, seed: int
) -> Folds:
    """(training, validation) positions of the folds: `cv_folds` (2..10) when asked, else 5 folds
    under 2,000 rows, 3 under 10,000 and one 20% validation slice above.

    Classification folds are stratified whenever some class has a row for every fold; a rarer
    class is then spread over as many folds as it has rows (a single-row class is validated in
    one fold and trained on in the others), so each fold's rows stay representative.
    """
    n = len(y)
    if cross_validation:
        k = max(2, min(int(cv_folds), 10))
    elif n < 2000:
        k = 5
    elif n < 10000:
        k = 3
    else:
        k = 1
    idx = np.arange(n)
    cls = problem_type == "classification"
    if k == 1:
        if cls:
            tr, va = _stratified_split(idx, y, 0.2, seed)
        else:
            tr, va = train_test_split(idx, test_size=0.2, random_state=seed)
        return [(np.sort(tr), np.sort(va))]
    k = min(k, n // 2)
    if cls and int(y.value_counts().max()) >= k:
        splitter: Any = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # "the least populated class has only 1 member"
            warnings.simplefilter("ignore", UserWarning)
            return list(splitter.split(idx, y))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(idx))


def split(
    X: pd.DataFrame,
    y: pd.Series,
    settings: AutoMLSettings,
    profiles: list[dict[str, Any]] | None = None,
) -> Split:
    """The hold-out split and the training rows' folds that `settings` ask for.

    The preprocessing's training-only row steps (`preprocessing.builder.drop_training_rows`
    over the used column `profiles`) drop training rows after the hold-out split, so their
    fences come from training rows only and the hold-out keeps every row, as predictions do.
    """
    seed = settings.random_state
    problem_type = settings.problem_type
    train_idx, test_idx = holdout_split(X, y, problem_type, settings.validation_split, seed)
    X_train = X.iloc[train_idx].reset_index(drop=True)
    y_train = y.iloc[train_idx].reset_index(drop=True)
    X_test = X.iloc[test_idx].reset_index(drop=True)
    y_test = y.iloc[test_idx].reset_index(drop=True)
    kept = drop_training_rows(X_train, y_train, settings.preprocessing, profiles or [])
    if kept.dropped:
        if len(kept.X) < 10:
            raise AutoMLError(
                f"The preprocessing drops {kept.dropped} of {len(X_train)} training rows "
                f"(missing values or outliers), leaving {len(kept.X)}; choose another strategy."
            )
        kept_y = kept.y if kept.y is not None else y_train.loc[kept.X.index]
        X_train, y_train = kept.X.reset_index(drop=True), kept_y.reset_index(drop=True)
    folds = make_folds(y_train, problem_type, settings.cross_validation, settings.cv_folds, seed)
    return Split(X_train, y_train, X_test, y_test, folds, kept.missing, kept.outliers)


def capped_rows(algorithm: str, n: int) -> int:
    """How many of `n` rows `algorithm` is trained on."""
    return min(n, ROW_CAPS.get(algorithm, n))


def cap_rows(
    X: pd.DataFrame, y: pd.Series, algorithm: str, problem_type: str, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """At most `ROW_CAPS[algorithm]` rows of (X, y), stratified for classification."""
    cap = ROW_CAPS.get(algorithm)
    if cap is None or len(y) <= cap:
        return X, y
    strat = y if problem_type == "classification" and _can_stratify(y, 2) else None
    try:
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=cap, random_state=seed, stratify=strat
        )
    except ValueError:
        keep = np.random.default_rng(seed).choice(len(y), cap, replace=False)
    keep = np.sort(keep)
    return X.iloc[keep], y.iloc[keep]
