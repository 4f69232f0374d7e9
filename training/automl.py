"""Tabular AutoML: train, tune and rank classification/regression models within a time budget.

How a run goes (all fitting on training rows only; the hold-out is touched only for test metrics):

1. Split off the hold-out (`validation_split`; stratified for classification).
2. Evaluate a portfolio of known-good configurations, cheapest and strongest first, each scored
   out-of-fold on the training rows (k-fold CV on small data, one inner hold-out slice on large
   data, or `cv_folds` folds when `cross_validation`). Iterative algorithms (mlp, sgd,
   gradient_boosting) train epoch by epoch with early stopping on fold 0 (per-epoch metric
   events), then the kept epoch count is trained on the other folds, so they get the same
   out-of-fold score on the same folds as every other algorithm.
3. Search (random by default; grid or bayesian via optuna when asked) while time remains.
4. Blend the best configuration of each algorithm by greedy ensemble selection on the
   out-of-fold predictions; the blend is a candidate of its own when it scores better.
5. Refit the winners on all training rows (the rank-1 model and the blend members first), then
   measure them on the hold-out. The whole job ends within the budget (`training.budget`):
   the search keeps back the predicted refits, hold-out scoring and saving of the leading
   models (from their measured fold times, scaled by rows, and a measured save rate), and
   before each refit the rest is re-planned with the time actually left. A refit predicted not
   to end in time is not started: the model keeps its fold model (also fitted on training rows
   only); the rank-1 model and the blend members may overrun by `REFIT_GRACE`. Permutation
   importance shrinks or is skipped, the blend takes fewer members, and a candidate that
   cannot be scored and saved in time is left out; each such decision is a log event.
   Regression targets that are non-negative and skewed also get log1p(target) candidates
   (`target_transform`), kept only when their CV RMSE on the original scale is better.

Candidates are ranked by their out-of-fold (CV) score, so the choice never looks at the hold-out;
a score from only some folds (the budget cut it short) ranks after the fully cross-validated ones;
scores within a small tolerance are ties, broken by the smaller spread over the folds and then by
a fixed preference for simpler, more stable algorithms (`_rank_key`). `primary_value` and
`test_metrics` are hold-out figures. Django-free.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import confusion_matrix, log_loss, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from modeling import catalog
from training.budget import (
    LOAD_MARGIN,
    FinishItem,
    Ledger,
    importance_rows,
    plan_finish,
    save_seconds,
    scaled_cost,
    search_reserve,
)
from training.builder import (
    TargetScaledRegressor,
    WeightedEnsemble,
    build_pipeline,
    infer_schema,
    used_columns,
)
from training.labels import normalize_labels
from training.metrics import classification_metrics, primary_metric, regression_metrics

__all__ = ["AutoMLError", "CandidateResult", "Cancelled", "run_automl"]

PROBLEM_TYPES = ("classification", "regression")
MIN_ROWS = 20
ITERATIVE = ("mlp", "sgd", "gradient_boosting")
# Per-fit guard: slow algorithms are trained on at most this many rows.
ROW_CAPS = {"svm": 2500, "knn": 20000, "gradient_boosting": 30000, "mlp": 50000}
PATIENCE = 8
# The search keeps back the predicted refit, scoring and saving of the leading `REFIT_TOP`
# algorithms (the rank-1 model and the likely blend members) and the scoring and saving of the
# others (`training.budget`); it stops when only that time is left.
REFIT_TOP = 3
# The rank-1 model (and the blend's members) may overrun the budget by this share to be refit.
REFIT_GRACE = 0.03
# Fold-fit cost of an algorithm not measured yet, relative to the default hist_gradient_boosting
# (per 100 trees for forests), so that a first forest fit predicted not to finish is not started.
RELATIVE_COST = {
    "linear": 0.5, "hist_gradient_boosting": 1.0, "random_forest": 6.0, "extra_trees": 4.0,
    "knn": 0.5, "svm": 1.5, "decision_tree": 0.3,
}  # fmt: skip
ENSEMBLE_ROUNDS = 25
# Scores closer than this count as a tie (AUC: absolute; RMSE: relative); fold spreads likewise.
SCORE_TOL = 1e-4
SPREAD_TOL = 1e-3
# Among tied candidates, the earlier algorithm wins: simpler and more stable models first.
PREFERENCE = (
    "linear", "ensemble", "hist_gradient_boosting", "random_forest", "extra_trees",
    "gradient_boosting", "svm", "knn", "sgd", "mlp", "decision_tree",
)  # fmt: skip


class AutoMLError(ValueError):
    """The input cannot be trained on (bad target, columns, row count...)."""


class Cancelled(Exception):  # noqa: N818 - the name is part of the shared API
    """The caller asked the run to stop."""


def _noop(kind: str, payload: dict[str, Any]) -> None:
    return None


def _never() -> bool:
    return False


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
    classes: list | None = None
    feature_importance: list[dict[str, Any]] = field(default_factory=list)
    fit_time_s: float = 0.0
    inference_time_ms: float = 0.0
    epochs: list[dict[str, Any]] = field(default_factory=list)
    rank: int = 0
    # How `feature_importance` was measured: "model" (the model's own), "permutation" (on the
    # hold-out rows), "blend" (members' weighted by the blend) or "none".
    importance_method: str = "none"


@dataclass
class _Trial:
    """One evaluated configuration (internal)."""

    algorithm: str
    params: dict[str, Any]
    cv_value: float | None  # primary metric, raw (auc / rmse)
    key: tuple  # rank key from `_rank_key`, greater is better
    pipeline: Any = None  # fitted on the fold-0 training part (or the final model)
    oof: np.ndarray | None = None  # out-of-fold predictions (proba or values); None if partial
    fold_fit_s: float = 0.0
    fold_rows: int = 0
    final: bool = False  # pipeline is already the final model
    epochs: list[dict[str, Any]] = field(default_factory=list)
    fit_time_s: float = 0.0
    n_epochs: int | None = None  # iterative algorithms: epochs kept after early stopping
    spread: float = 0.0  # standard deviation of the per-fold scores
    predict_s_per_row: float = 0.0  # measured on the fold-0 validation rows
    save_s: float | None = None  # predicted seconds to save `pipeline` (`budget.save_seconds`)


# Known-good configurations tried before any search, in order, per algorithm.
PORTFOLIO: dict[str, list[dict[str, Any]]] = {
    "hist_gradient_boosting": [
        {},
        # Small, regularised trees at a low rate with a fixed round count: no rows are held back
        # for early stopping, which matters on small tables (best CV on credit_data and titanic).
        {
            "learning_rate": 0.03,
            "max_leaf_nodes": 8,
            "min_samples_leaf": 30,
            "l2_regularization": 2.0,
            "max_iter": 300,
            "max_features": 0.7,
            "early_stopping": False,
        },
        {
            "learning_rate": 0.05,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 10,
            "l2_regularization": 1.0,
            "max_iter": 600,
        },
        {
            "learning_rate": 0.05,
            "max_leaf_nodes": 63,
            "min_samples_leaf": 30,
            "max_features": 0.5,
            "max_iter": 600,
        },
        {"learning_rate": 0.03, "max_leaf_nodes": 8, "min_samples_leaf": 5, "max_iter": 800},
        # Skewed positive regression targets (prices): the same trees on log1p(target).
        {"target_transform": "log"},
        # Many slow rounds, stopped early on an inner 10% slice of the training part.
        {
            "learning_rate": 0.04,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 10,
            "max_iter": 2000,
            "l2_regularization": 1.0,
        },
        {
            "learning_rate": 0.04,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 10,
            "max_iter": 2000,
            "l2_regularization": 1.0,
            "target_transform": "log",
        },
    ],
    "linear": [{}, {"alpha": 10.0}, {"alpha": 0.1}, {"target_transform": "log"}],
    "random_forest": [{}, {"max_features": 0.5, "min_samples_leaf": 2}],
    "extra_trees": [{}, {"max_features": 0.5, "min_samples_leaf": 2}],
}
# The first round: (algorithm, portfolio index), strongest and cheapest first.
FIRST_ROUND = [
    ("linear", 0), ("hist_gradient_boosting", 0), ("hist_gradient_boosting", 5), ("linear", 3),
    ("hist_gradient_boosting", 1), ("random_forest", 0), ("extra_trees", 0),
    ("hist_gradient_boosting", 2), ("hist_gradient_boosting", 7), ("hist_gradient_boosting", 3),
    ("gradient_boosting", 0), ("mlp", 0), ("knn", 0), ("svm", 0), ("sgd", 0), ("decision_tree", 0),
    ("hist_gradient_boosting", 6), ("hist_gradient_boosting", 4), ("random_forest", 1),
    ("extra_trees", 1), ("linear", 1), ("linear", 2),
]  # fmt: skip
# Algorithms that can fit on log1p(target) (`target_transform`), and when the target qualifies:
# non-negative and right-skewed. Whether the log helps is then decided by CV RMSE, which is
# computed on the original scale like every other candidate's.
LOG_TARGET_ALGOS = ("hist_gradient_boosting", "linear", "random_forest", "extra_trees")
LOG_TARGET_MIN_SKEW = 0.5
# Narrower ranges for the automatic search ("float"/"int": low, high, log; "cat": choices).
SEARCH_SPACE: dict[str, dict[str, tuple]] = {
    "hist_gradient_boosting": {
        "learning_rate": ("float", 0.01, 0.3, True),
        "max_leaf_nodes": ("int", 8, 128, True),
        "min_samples_leaf": ("int", 2, 100, True),
        "l2_regularization": ("float", 0.0, 5.0, False),
        "max_features": ("float", 0.3, 1.0, False),
        "max_iter": ("cat", (300, 600, 1000)),
    },
    "random_forest": {
        "max_features": ("cat", ("sqrt", "log2", 0.5, "all")),
        "min_samples_leaf": ("int", 1, 10, True),
        "n_estimators": ("int", 100, 300, True),
        "bootstrap": ("cat", (True, False)),
    },
    "extra_trees": {
        "max_features": ("cat", ("sqrt", "log2", 0.5, "all")),
        "min_samples_leaf": ("int", 1, 10, True),
        "n_estimators": ("int", 100, 300, True),
    },
    "linear": {"alpha": ("float", 1e-3, 1e3, True)},
    "knn": {
        "n_neighbors": ("int", 3, 60, True),
        "weights": ("cat", ("uniform", "distance")),
        "p": ("int", 1, 2, False),
    },
    "svm": {"C": ("float", 0.05, 100.0, True), "gamma": ("cat", ("scale", "auto"))},
    "decision_tree": {"max_depth": ("int", 2, 20, False), "min_samples_leaf": ("int", 1, 50, True)},
}
_COST_CAPS = {"n_estimators": 300, "max_iter": 1000}


class _Run:
    """Shared state of one run: the clock, events, cancellation and progress."""

    def __init__(self, budget: float, on_event: Callable, should_stop: Callable, greater: bool):
        self.start = time.monotonic()
        self.budget = max(float(budget), 0.1)
        self.deadline = self.start + self.budget
        self.on_event = on_event
        self.should_stop = should_stop
        self.greater = greater
        self.best: float | None = None
        self.progress = 0.0
        self.epoch = 0
        self._last_progress = 0.0
        self.ledger = Ledger(self.budget, on_event, start=self.start)

    def now(self) -> float:
        return time.monotonic()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if self.should_stop():
            self.log("Stop requested; cancelling.", "warning")
            raise Cancelled()

    def log(self, message: str, level: str = "info") -> None:
        self.on_event("log", {"message": message, "level": level})

    def offer(self, value: float | None) -> None:
        if value is None:
            return
        if self.best is None or (value > self.best if self.greater else value < self.best):
            self.best = value

    def report(self, algorithm: str, fraction: float | None = None, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        done = fraction if fraction is not None else (now - self.start) / self.budget
        self.progress = max(self.progress, min(0.99, done))
        self.on_event(
            "progress",
            {
                "progress": round(self.progress, 4),
                "current_epoch": self.epoch,
                "best_metric": self.best,
                "estimated_time_remaining": max(0.0, round(self.deadline - now, 2)),
                "algorithm": algorithm,
            },
        )


# --------------------------------------------------------------------------- input checks


def _check_inputs(
    df: pd.DataFrame,
    target: str,
    problem_type: str,
    feature_columns: list[str] | None,
    preprocessing_config: dict | None,
    validation_split: float,
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise AutoMLError("The data is empty.")
    if problem_type not in PROBLEM_TYPES:
        raise AutoMLError(f"Problem type '{problem_type}' is not classification or regression.")
    if target not in df.columns:
        raise AutoMLError(f"The target column '{target}' is not in the data.")
    features = list(feature_columns) if feature_columns else [c for c in df.columns if c != target]
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise AutoMLError(f"Feature columns not in the data: {', '.join(map(str, missing))}.")
    features = [c for c in features if c != target]
    if not features:
        raise AutoMLError("There are no feature columns besides the target.")
    if not 0.05 <= float(validation_split) <= 0.5:
        raise AutoMLError("validation_split must be between 0.05 and 0.5.")
    y = df[target]
    n_missing = int(y.isna().sum())
    if n_missing:
        if (preprocessing_config or {}).get("missing_values_strategy") == "drop":
            df = df.loc[y.notna()]
            y = df[target]
        else:
            raise AutoMLError(
                f"The target column '{target}' has {n_missing} missing values; "
                "drop those rows first (missing_values_strategy 'drop')."
            )
    if len(df) < MIN_ROWS:
        raise AutoMLError(f"At least {MIN_ROWS} rows with a target are needed; got {len(df)}.")
    if problem_type == "classification":
        # One plain label dtype (int/bool/float/str): sklearn types it, classes_ keep it.
        y = normalize_labels(y)
        classes = y.unique()
        if len(classes) < 2:
            raise AutoMLError(
                f"The target '{target}' has only one class ({classes[0]!r}); "
                "classification needs at least two."
            )
        if len(classes) > max(100, len(y) // 2):
            raise AutoMLError(
                f"The target '{target}' has {len(classes)} classes; is this a regression problem?"
            )
    else:
        if not pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype):
            converted = pd.to_numeric(y, errors="coerce")
            if converted.isna().any():
                raise AutoMLError(f"The regression target '{target}' must be numeric.")
            y = converted
        y = y.astype("float64")
        if not np.isfinite(y.to_numpy()).all():
            raise AutoMLError(f"The regression target '{target}' has infinite values.")
        if y.nunique() < 2:
            raise AutoMLError(f"The regression target '{target}' is constant.")
    return df[features].reset_index(drop=True), y.reset_index(drop=True), features


def _log_target_ok(y: pd.Series, problem_type: str) -> bool:
    """Whether fitting on log1p(y) is worth a try: a non-negative, right-skewed numeric target."""
    if problem_type != "regression":
        return False
    values = y.to_numpy(dtype="float64")
    return bool(values.min() >= 0.0 and float(pd.Series(values).skew()) >= LOG_TARGET_MIN_SKEW)


def _resolve_algorithms(
    algorithms: str | list[str], problem_type: str, hyperparameters: dict[str, dict] | None
) -> tuple[list[str], dict[str, dict]]:
    names = catalog.auto_algorithms(problem_type) if algorithms == "auto" else list(algorithms)
    if not names:
        raise AutoMLError("No algorithm was chosen.")
    user: dict[str, dict] = {}
    for name in names:
        try:
            spec = catalog.get_algorithm(name)
        except KeyError:
            raise AutoMLError(f"Unknown algorithm '{name}'.") from None
        if problem_type not in spec.problem_types or spec.factory is None:
            raise AutoMLError(f"Algorithm '{name}' does not solve {problem_type}.")
        given = (hyperparameters or {}).get(name)
        if given:
            errors = spec.validate(given)
            if errors:
                param, msg = next(iter(errors.items()))
                raise AutoMLError(f"Hyperparameter '{param}' of {name} {msg}.")
            user[name] = dict(given)
    return list(dict.fromkeys(names)), user


# --------------------------------------------------------------------------- splitting


def _can_stratify(y: pd.Series, n_splits: int) -> bool:
    return int(y.value_counts().min()) >= n_splits


def _holdout_split(
    X: pd.DataFrame, y: pd.Series, problem_type: str, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(len(y))
    strat = y if problem_type == "classification" and _can_stratify(y, 2) else None
    try:
        return train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)
    except ValueError:
        return train_test_split(idx, test_size=test_size, random_state=seed)


def _make_folds(
    y: pd.Series, problem_type: str, cross_validation: bool, cv_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
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
        strat = y if cls and _can_stratify(y, 2) else None
        tr, va = train_test_split(idx, test_size=0.2, random_state=seed, stratify=strat)
        return [(np.sort(tr), np.sort(va))]
    k = min(k, n // 2)
    if cls and _can_stratify(y, k):
        splitter: Any = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(splitter.split(idx, y))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(idx))


def _cap_rows(
    X: pd.DataFrame, y: pd.Series, algorithm: str, problem_type: str, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
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


# --------------------------------------------------------------------------- scoring


def _aligned_proba(model: Any, X: pd.DataFrame, classes: np.ndarray) -> np.ndarray:
    proba = np.asarray(model.predict_proba(X), dtype="float64")
    if list(model.classes_) == list(classes):
        return proba
    out = np.zeros((len(X), len(classes)))
    pos = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, pos[c]] = proba[:, j]
    return out


def _predict_for_score(model: Any, X: pd.DataFrame, classes: np.ndarray | None) -> np.ndarray:
    if classes is not None:
        return _aligned_proba(model, X, classes)
    return np.asarray(model.predict(X), dtype="float64")


def _oof_score(
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


def _rank_key(
    algorithm: str, value: float | None, raw_key: tuple[float, float], spread: float, cls: bool
) -> tuple[float, int, int, float]:
    """The sort key of a candidate, greater is better: (score, -spread, -preference, secondary).

    The score is the AUC, or -log(RMSE) so that a fixed step is a relative RMSE difference.
    The spread (standard deviation of the per-fold scores, relative to the RMSE for regression)
    is snapped to `SPREAD_TOL`; the preference is the position in `PREFERENCE`; the secondary
    figure is -log loss / -MAE. `_leaderboard` decides ties on the score with these.
    """
    pref = PREFERENCE.index(algorithm) if algorithm in PREFERENCE else len(PREFERENCE)
    if value is None or not math.isfinite(value):
        return (-math.inf, -(10**9), -pref, raw_key[1])
    if cls:
        score, unit = float(value), SPREAD_TOL
    else:
        score = -math.log(max(value, 1e-300))
        unit = SPREAD_TOL * max(value, 1e-300)
    spread_q = round(spread / unit) if math.isfinite(spread) else 10**9
    return (score, -spread_q, -pref, raw_key[1])


def _full_first(
    items: list, key_of: Callable[[Any], tuple], full_of: Callable[[Any], bool]
) -> list:
    """`_leaderboard` of the candidates scored on every fold, then of those the budget cut short.

    A score from fewer folds is measured on fewer rows and is noisier, so it does not outrank a
    fully cross-validated one; it still gets a place, after them.
    """
    return _leaderboard([i for i in items if full_of(i)], key_of) + _leaderboard(
        [i for i in items if not full_of(i)], key_of
    )


def _leaderboard(items: list, key_of: Callable[[Any], tuple]) -> list:
    """`items` best first, treating scores within `SCORE_TOL` of the best remaining as a tie.

    Out-of-fold scores that differ by less than the tolerance are within the noise of the folds.
    So each place goes to the candidate, among those scoring within `SCORE_TOL` of the best one
    left, whose per-fold scores spread least, then whose algorithm comes first in `PREFERENCE`
    (simpler and more stable models), then with the better secondary figure. Deterministic, and
    a place never goes to a candidate more than the tolerance below the best one left.
    """
    left = list(items)
    out = []
    while left:
        top = max(key_of(i)[0] for i in left)
        tied = [i for i in left if key_of(i)[0] >= top - SCORE_TOL]
        pick = max(tied, key=lambda i: (key_of(i)[1:], key_of(i)[0]))
        out.append(pick)
        left.remove(pick)
    return out


def _fold_spread(
    y: np.ndarray, oof: np.ndarray, folds: list[np.ndarray], classes: np.ndarray | None
) -> float:
    """Standard deviation of the primary metric over the given validation folds (0 for one)."""
    values = [_oof_score(y[va], oof[va], classes)[0] for va in folds]
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.std(values)) if len(values) > 1 else 0.0


def _loss(y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None) -> float:
    if classes is None:
        return float(np.mean((pred - y) ** 2))
    proba = np.clip(pred, 1e-15, 1.0)
    return float(log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=list(classes)))


def _quick_metrics(y: np.ndarray, pred: np.ndarray, classes: np.ndarray | None) -> dict:
    if classes is None:
        return {k: v for k, v in regression_metrics(y, pred).items() if k in ("rmse", "mae", "r2")}
    labels = classes[np.argmax(pred, axis=1)]
    value, _ = _oof_score(y, pred, classes)
    return {"accuracy": float(np.mean(labels == y)), "auc": value}


# --------------------------------------------------------------------------- the engine


class _Engine:
    """Evaluates configurations on the training rows and assembles the final candidates."""

    def __init__(self, *, run: _Run, X: pd.DataFrame, y: pd.Series, schema: list[dict],
                 target: str, problem_type: str, features: list[str],
                 preprocessing_config: dict | None, folds: list, seed: int,
                 early_stopping: bool, max_epochs: int,
                 feature_config: dict | None = None, n_test: int = 0):  # fmt: skip
        self.run = run
        self.X = X
        self.y = y
        self.y_arr = y.to_numpy()
        self.schema = schema
        self.target = target
        self.problem_type = problem_type
        self.features = features
        self.config = preprocessing_config
        self.feature_config = feature_config
        self.folds = folds
        self.seed = seed
        self.early_stopping = early_stopping
        self.max_epochs = max(1, int(max_epochs))
        self.cls = problem_type == "classification"
        self.classes = np.unique(self.y_arr) if self.cls else None
        self.trials: list[_Trial] = []
        self.best_by_algo: dict[str, _Trial] = {}
        # Per algorithm: seconds of one fold (fit and predict) and the `_cost_size` it had.
        self.fold_time: dict[str, tuple[float, float]] = {}
        self.n_test = n_test  # hold-out rows, for the predicted scoring time
        self.oof_scores: list[float] = []  # seconds of each out-of-fold scoring (for the blend)
        self.oof_rows = np.sort(np.concatenate([va for _, va in folds]))

    # ---- helpers
    def pipeline(self, algorithm: str, params: dict[str, Any]) -> Pipeline:
        return build_pipeline(
            df_schema=self.schema,
            target=self.target,
            problem_type=self.problem_type,
            algorithm=algorithm,
            hyperparameters=params,
            preprocessing_config=self.config,
            feature_columns=self.features,
            random_state=self.seed,
            feature_config=self.feature_config,
        )

    def fit(self, pipe: Pipeline, algorithm: str, rows: np.ndarray) -> Pipeline:
        X, y = _cap_rows(
            self.X.iloc[rows], self.y.iloc[rows], algorithm, self.problem_type, self.seed
        )
        return pipe.fit(X, y)

    def refit_estimate(self, trial: _Trial) -> float:
        """Seconds to refit `trial` on all training rows: its slowest fold fit, scaled by rows."""
        if trial.final:
            return 0.0
        return scaled_cost(trial.fold_fit_s, trial.fold_rows, self._refit_rows(trial))

    def _refit_rows(self, trial: _Trial) -> int:
        return min(len(self.y), ROW_CAPS.get(trial.algorithm, len(self.y)))

    def _save_fold(self, trial: _Trial) -> float:
        """Predicted seconds to save the trial's model as it is (measured once, then kept)."""
        if trial.save_s is None:
            trial.save_s = save_seconds(trial.pipeline)[0] if trial.pipeline is not None else 0.1
        return trial.save_s

    def finish_item(self, trial: _Trial, required: bool) -> FinishItem:
        """The predicted post-search work of `trial` (refit, hold-out scoring, saving)."""
        save_fold = self._save_fold(trial)
        # Forests and knn grow with the rows they are fitted on; the others hardly change.
        grow = 1.0 if trial.final else self._refit_rows(trial) / max(trial.fold_rows, 1)
        calls = 2 if self.cls else 1  # hold-out scoring predicts labels and probabilities
        score = trial.predict_s_per_row * self.n_test * calls * LOAD_MARGIN + 0.05
        return FinishItem(
            name=trial.algorithm,
            required=required,
            refit_s=self.refit_estimate(trial),
            score_s=score,
            save_fold_s=save_fold,
            save_full_s=save_fold * max(grow, 1.0),
        )

    def finish_items(self) -> list[FinishItem]:
        """The post-search work if the search stopped now: the leading `REFIT_TOP` algorithms
        required, and a blend of them (it predicts and saves every member again)."""
        ranked = sorted(self.best_by_algo.values(), key=lambda t: t.key, reverse=True)
        items = [self.finish_item(t, i < REFIT_TOP) for i, t in enumerate(ranked)]
        top = items[:REFIT_TOP]
        if len(top) > 1:
            items.append(
                FinishItem(
                    name="ensemble",
                    required=True,
                    refit_s=0.0,
                    score_s=sum(i.score_s for i in top),
                    save_fold_s=sum(i.save_full_s for i in top),
                    save_full_s=sum(i.save_full_s for i in top),
                )
            )
        return items

    def reserve(self) -> float:
        """Seconds the search keeps back for the post-search work (`budget.search_reserve`),
        and for choosing the blend (every round scores each pool member's addition)."""
        pool = min(len(self.best_by_algo), 6) if len(self.best_by_algo) > 1 else 0
        score_s = float(np.median(self.oof_scores)) if self.oof_scores else 0.0
        blend_s = score_s * pool * ENSEMBLE_ROUNDS * LOAD_MARGIN
        return search_reserve(self.finish_items()) + blend_s + 0.2

    def fold_estimate(self, algorithm: str, params: dict[str, Any]) -> float | None:
        """Predicted seconds of one fold (fit and predict) of a configuration: from an earlier
        configuration of the same algorithm, else from measured ones and `RELATIVE_COST`; None
        when nothing comparable has been measured yet."""
        size = self._cost_size(algorithm, params)
        if algorithm in self.fold_time:
            seconds, measured = self.fold_time[algorithm]
            return seconds * size / measured * LOAD_MARGIN
        # The prior is rough: it only holds back the algorithms known to be many times slower.
        if RELATIVE_COST.get(algorithm, 0.0) < 2.0:
            return None
        base = [
            seconds / (RELATIVE_COST[a] * measured)
            for a, (seconds, measured) in self.fold_time.items()
            if a in RELATIVE_COST
        ]
        if not base:
            return None
        return float(np.median(base)) * RELATIVE_COST[algorithm] * size * LOAD_MARGIN

    def _cost_size(self, algorithm: str, params: dict[str, Any]) -> float:
        """How much work a configuration is relative to its algorithm's unit of `RELATIVE_COST`
        (forests: hundreds of trees, times the features tried per split relative to sqrt)."""
        if algorithm not in ("random_forest", "extra_trees"):
            return 1.0
        n = max(len(self.features), 1)
        share = params.get("max_features", "sqrt")
        tried = {"sqrt": math.sqrt(n), "log2": max(math.log2(n), 1.0), "all": float(n)}.get(
            share, float(share) * n if isinstance(share, int | float) else math.sqrt(n)
        )
        return float(params.get("n_estimators", 100)) / 100.0 * max(tried, 1.0) / math.sqrt(n)

    def record(self, trial: _Trial) -> None:
        self.trials.append(trial)
        current = self.best_by_algo.get(trial.algorithm)
        full, current_full = trial.oof is not None, current is not None and current.oof is not None
        if current is None or (full, trial.key) > (current_full, current.key):
            self.best_by_algo[trial.algorithm] = trial
        self.run.offer(trial.cv_value)
        value = "n/a" if trial.cv_value is None else f"{trial.cv_value:.5g}"
        name, _ = primary_metric(self.problem_type)
        self.run.log(f"{trial.algorithm} {_short(trial.params)}: cv {name} {value}.")
        self.run.report(trial.algorithm)

    # ---- evaluation of one configuration
    def evaluate(self, algorithm: str, params: dict[str, Any], limit: float) -> _Trial | None:
        """Score one configuration; None when it cannot start within `limit` seconds."""
        self.run.check()
        spec = catalog.get_algorithm(algorithm)
        if spec.validate(params):
            return None
        params = spec.resolve(params)
        if algorithm in ITERATIVE:
            return self.evaluate_iterative(algorithm, params, limit)
        est = self.fold_estimate(algorithm, params)
        if est is not None and est > limit:
            self.run.ledger.decide(
                "search", "skipped",
                f"Skipping {algorithm} {_short(params)}: one fold is predicted to take "
                f"{est:.1f}s and {max(limit, 0.0):.1f}s are left for it.",
                algorithm=algorithm, predicted_s=round(est, 2),
            )  # fmt: skip
            return None
        start = time.monotonic()
        oof = self._empty_oof()
        done: list[np.ndarray] = []
        first_pipe, fold_s, fold_rows, predict_s = None, 0.0, 0, 0.0
        for k, (tr, va) in enumerate(self.folds):
            self.run.check()
            elapsed = time.monotonic() - start
            if k > 0 and elapsed / k > limit - elapsed:
                self.run.ledger.decide(
                    "search", "shortened",
                    f"{algorithm}: stopped after {k} folds to stay within budget.",
                    algorithm=algorithm, folds=k,
                )  # fmt: skip
                break
            t0 = time.monotonic()
            pipe = self.fit(self.pipeline(algorithm, params), algorithm, tr)
            fit_s = time.monotonic() - t0
            oof[va] = _predict_for_score(pipe, self.X.iloc[va], self.classes).reshape(len(va), -1)
            done.append(va)
            if k == 0:
                first_pipe = pipe
                predict_s = (time.monotonic() - t0 - fit_s) / max(len(va), 1)
            if fit_s >= fold_s:
                # The slowest fold: under load, fit times vary and the refit must not be late.
                fold_s, fold_rows = fit_s, min(len(tr), ROW_CAPS.get(algorithm, len(tr)))
        per_fold = (time.monotonic() - start) / len(done)
        self.fold_time[algorithm] = (per_fold, self._cost_size(algorithm, params))
        trial = self._scored_trial(algorithm, params, oof, done, start)
        trial.pipeline, trial.fold_fit_s, trial.fold_rows = first_pipe, fold_s, fold_rows
        trial.predict_s_per_row = predict_s
        self.record(trial)
        return trial

    def _empty_oof(self) -> np.ndarray:
        width = len(self.classes) if self.cls else 1
        return np.full((len(self.y), width), np.nan)

    def _scored_trial(
        self, algorithm: str, params: dict[str, Any], oof: np.ndarray, done: list, start: float
    ) -> _Trial:
        """A trial scored on the out-of-fold rows of the `done` folds."""
        rows = np.sort(np.concatenate(done))
        flat = oof if self.cls else oof[:, 0]
        t0 = time.monotonic()
        value, raw_key = _oof_score(self.y_arr[rows], flat[rows], self.classes)
        self.oof_scores.append(time.monotonic() - t0)
        spread = _fold_spread(self.y_arr, flat, done, self.classes)
        complete = len(done) == len(self.folds)
        return _Trial(
            algorithm=algorithm,
            params=params,
            cv_value=value,
            key=_rank_key(algorithm, value, raw_key, spread, self.cls),
            oof=flat if complete else None,
            fit_time_s=time.monotonic() - start,
            spread=spread,
        )

    def evaluate_iterative(self, algorithm: str, params: dict[str, Any], limit: float) -> _Trial:
        """Early-stop epoch by epoch on fold 0, then cross-validate that epoch count.

        Fold 0 runs the per-epoch trainer (metric events, early stopping on its validation
        rows); the other folds train the same configuration for the epoch count it kept, so the
        score is a k-fold out-of-fold score on the same folds as every other algorithm. Only
        fold 0's rows also chose the epoch count, a mild optimism limited to 1/k of the rows.
        """
        start = time.monotonic()
        deadline = start + max(limit, 0.5)
        k = len(self.folds)
        tr, va = self.folds[0]
        pipe = self.pipeline(algorithm, params)
        prep = Pipeline(pipe.steps[:-1]).set_output(transform="pandas")
        Xtr_raw, ytr = _cap_rows(
            self.X.iloc[tr], self.y.iloc[tr], algorithm, self.problem_type, self.seed
        )
        t0 = time.monotonic()
        Xtr = prep.fit_transform(Xtr_raw, ytr)
        prep_s = time.monotonic() - t0
        Xva = prep.transform(self.X.iloc[va])
        model = pipe.steps[-1][1]
        trainer = _EpochTrainer(self, algorithm, model, Xtr, ytr.to_numpy(), Xva, self.y_arr[va])
        # Leave room for the other folds, which train without per-epoch evaluation.
        share = 1.0 if k == 1 else 0.5
        fitted, epochs, pred, n_epochs = trainer.train(deadline=start + share * max(limit, 0.5))
        first = Pipeline([*prep.steps, ("model", fitted)]).set_output(transform="pandas")
        oof = self._empty_oof()
        oof[va] = pred.reshape(len(va), -1)
        done = [va]
        # A fit for the kept epoch count: the preprocessing, and the training time (without
        # the per-epoch evaluation) scaled to the epochs kept.
        fold_s = prep_s + trainer.fit_s * min(1.0, n_epochs / max(trainer.trained, 1))
        fold_rows = len(Xtr)
        t0 = time.monotonic()
        _predict_for_score(first, self.X.iloc[va[:1000]], self.classes)
        predict_s = (time.monotonic() - t0) / max(min(len(va), 1000), 1)
        for tr_i, va_i in self.folds[1:]:
            self.run.check()
            left = min(deadline, self.run.deadline) - time.monotonic()
            if left <= 0 or fold_s * LOAD_MARGIN > left:
                break
            t0 = time.monotonic()
            pipe_i = self.fit_epochs(algorithm, params, tr_i, n_epochs)
            fold_s = time.monotonic() - t0
            fold_rows = min(len(tr_i), ROW_CAPS.get(algorithm, len(tr_i)))
            pred_i = _predict_for_score(pipe_i, self.X.iloc[va_i], self.classes)
            oof[va_i] = pred_i.reshape(len(va_i), -1)
            done.append(va_i)
        trial = self._scored_trial(algorithm, params, oof, done, start)
        trial.pipeline, trial.fold_fit_s, trial.fold_rows = first, fold_s, fold_rows
        trial.epochs, trial.n_epochs = epochs, n_epochs
        trial.predict_s_per_row = predict_s
        if len(done) < k:
            self.run.ledger.decide(
                "search", "shortened",
                f"{algorithm}: cross-validated on {len(done)} of {k} folds (time).",
                algorithm=algorithm, folds=len(done),
            )  # fmt: skip
        self.record(trial)
        return trial

    def fit_epochs(
        self, algorithm: str, params: dict[str, Any], rows: np.ndarray, n_epochs: int
    ) -> Pipeline:
        """Fit an iterative algorithm on `rows` for a fixed number of epochs (no metrics)."""
        pipe = self.pipeline(algorithm, params)
        prep = Pipeline(pipe.steps[:-1]).set_output(transform="pandas")
        X_raw, y = _cap_rows(self.X.iloc[rows], self.y.iloc[rows], algorithm, self.problem_type,
                             self.seed)  # fmt: skip
        Xt = prep.fit_transform(X_raw, y)
        y_arr = y.to_numpy()
        model = pipe.steps[-1][1]
        mean, scale = 0.0, 1.0
        if not self.cls:
            mean, scale = float(np.mean(y_arr)), float(np.std(y_arr)) or 1.0
            y_arr = (y_arr - mean) / scale
        if algorithm == "gradient_boosting":
            model.set_params(n_estimators=max(1, n_epochs))
            model.fit(Xt, y_arr)
        else:
            for _ in range(max(1, n_epochs)):
                if time.monotonic() >= self.run.deadline:
                    break
                if self.cls:
                    model.partial_fit(Xt, y_arr, classes=self.classes)
                else:
                    model.partial_fit(Xt, y_arr)
        if not self.cls:
            model = TargetScaledRegressor.from_fitted(model, mean, scale)
        return Pipeline([*prep.steps, ("model", model)]).set_output(transform="pandas")

    def fit_trial(self, trial: _Trial, rows: np.ndarray) -> Pipeline:
        """Refit a trial's configuration on `rows` (iterative: for its kept epoch count)."""
        if trial.n_epochs is not None:
            return self.fit_epochs(trial.algorithm, trial.params, rows, trial.n_epochs)
        return self.fit(self.pipeline(trial.algorithm, trial.params), trial.algorithm, rows)

    # ---- ensemble
    def _affordable_pool(self, pool: list[_Trial]) -> list[_Trial]:
        """The blend candidates whose extra work fits in the time left after the best one's: a
        member is scored and saved twice (alone and inside the blend); fewer members otherwise."""
        if len(pool) < 2:
            return pool
        room = self.run.remaining() - search_reserve([self.finish_item(pool[0], True)])
        kept = [pool[0]]
        for trial in pool[1:]:
            item = self.finish_item(trial, True)
            extra = 2.0 * (item.score_s + item.save_fold_s)
            if extra <= room:
                kept.append(trial)
                room -= extra
            else:
                self.run.ledger.decide(
                    "ensemble", "shortened",
                    f"{trial.algorithm} left out of the blend: scoring and saving it again "
                    "inside the blend is predicted not to fit in the time budget.",
                    algorithm=trial.algorithm, predicted_s=round(extra, 2),
                )  # fmt: skip
        return kept

    def ensemble(self) -> tuple[list[_Trial], list[float], float | None, tuple] | None:
        """Greedy (Caruana) selection with replacement over the best trial of each algorithm."""
        pool = [
            t for t in self.best_by_algo.values() if t.oof is not None and t.cv_value is not None
        ]
        pool.sort(key=lambda t: t.key, reverse=True)
        pool = self._affordable_pool(pool[:6])
        if len(pool) < 2:
            return None
        rows = self.oof_rows
        y = self.y_arr[rows]
        preds = [t.oof[rows] for t in pool]
        counts = [0] * len(pool)
        total = np.zeros_like(preds[0])
        best_key: tuple = (-math.inf, -math.inf)
        best_counts: list[int] = []
        best_value = None
        # Rounds stop early when the next is predicted to eat into the post-search work.
        stop_at = self.run.deadline - search_reserve(self.finish_items())
        round_s = 0.0
        for n in range(1, ENSEMBLE_ROUNDS + 1):
            started = time.monotonic()
            if n > 2 and started + round_s > stop_at:
                self.run.ledger.decide(
                    "ensemble", "shortened",
                    f"Blend selection stopped after {n - 1} of {ENSEMBLE_ROUNDS} rounds "
                    "(time budget).",
                    rounds=n - 1,
                )  # fmt: skip
                break
            choice = None
            for i, p in enumerate(preds):
                value, key = _oof_score(y, (total + p) / n, self.classes)
                if choice is None or key > choice[1]:
                    choice = (i, key, value)
            i, key, value = choice
            counts[i] += 1
            total = total + preds[i]
            if key > best_key:
                best_key, best_counts, best_value = key, list(counts), value
            round_s = time.monotonic() - started
        members = [(t, c) for t, c in zip(pool, best_counts, strict=True) if c > 0]
        if len(members) < 2:
            return None
        blend = sum(t.oof * c for t, c in members) / sum(c for _, c in members)
        spread = _fold_spread(self.y_arr, blend, [va for _, va in self.folds], self.classes)
        key = _rank_key("ensemble", best_value, best_key, spread, self.cls)
        # A blend is more to run and to explain: it must beat the best single model's score
        # by more than the tie tolerance, not merely match it.
        if key[0] <= max(t.key[0] for t in self.best_by_algo.values()) + SCORE_TOL:
            return None
        return [t for t, _ in members], [float(c) for _, c in members], best_value, key


class _EpochTrainer:
    """Trains mlp/sgd with partial_fit and gradient_boosting stage by stage, with early stopping."""

    def __init__(self, engine: _Engine, algorithm: str, model: Any, Xtr: pd.DataFrame,
                 ytr: np.ndarray, Xva: pd.DataFrame, yva: np.ndarray):  # fmt: skip
        self.e = engine
        self.algorithm = algorithm
        self.model = model
        self.Xtr, self.ytr, self.Xva, self.yva = Xtr, ytr, Xva, yva
        rng = np.random.default_rng(engine.seed)
        sample = rng.choice(len(ytr), min(len(ytr), 2000), replace=False)
        self.sample = np.sort(sample)
        self.mean, self.scale = 0.0, 1.0
        if not engine.cls:
            self.mean = float(np.mean(ytr))
            self.scale = float(np.std(ytr)) or 1.0

    def _predict(self, model: Any, X: pd.DataFrame) -> np.ndarray:
        if self.e.cls:
            return _aligned_proba(model, X, self.e.classes)
        return np.asarray(model.predict(X), dtype="float64") * self.scale + self.mean

    def _learning_rate(self, model: Any, step: int) -> float | None:
        if self.algorithm == "mlp":
            opt = getattr(model, "_optimizer", None)
            return float(getattr(opt, "learning_rate", model.learning_rate_init))
        if self.algorithm == "gradient_boosting":
            return float(model.learning_rate)
        t = float(getattr(model, "t_", 1.0))
        if model.learning_rate == "invscaling":
            return float(model.eta0 / t**model.power_t)
        if model.learning_rate == "optimal":
            return None
        return float(model.eta0)

    def train(self, deadline: float) -> tuple[Any, list[dict[str, Any]], np.ndarray, int]:
        """Run epochs until max_epochs, early stopping, the deadline or a stop request.

        Returns the kept model, the per-epoch records, its validation predictions and how much
        training it had (epochs; boosting stages for gradient_boosting), so the same amount can
        be repeated on other folds and on all training rows. With early stopping the model of the
        best epoch is kept, otherwise the last one.
        """
        e, run = self.e, self.e.run
        model = self.model
        gb = self.algorithm == "gradient_boosting"
        total_stages = int(model.n_estimators) if gb else 0
        n_epochs = min(e.max_epochs, total_stages) if gb else e.max_epochs
        per_epoch = math.ceil(total_stages / n_epochs) if gb else 0
        y_fit = self.ytr if e.cls else (self.ytr - self.mean) / self.scale
        if gb:
            model.set_params(warm_start=True)
        best_loss, best_epoch, best_model, best_pred = math.inf, 0, None, None
        epochs: list[dict[str, Any]] = []
        self.trained = 0  # epochs (boosting stages for gradient_boosting) actually trained
        self.fit_s = 0.0  # seconds spent in fit/partial_fit alone
        last_epoch_s = 0.0
        stale = 0
        last_pred: np.ndarray | None = None
        for epoch in range(1, n_epochs + 1):
            run.check()
            epoch_start = time.monotonic()
            # An epoch is not started when it is predicted to end after the deadline.
            if epoch > 1 and epoch_start + last_epoch_s >= min(deadline, run.deadline):
                run.ledger.decide(
                    "search", "shortened",
                    f"{self.algorithm}: stopped at epoch {epoch - 1} (time budget).",
                    algorithm=self.algorithm, epochs=epoch - 1,
                )  # fmt: skip
                break
            if gb:
                model.set_params(n_estimators=min(total_stages, epoch * per_epoch))
                model.fit(self.Xtr, y_fit)
                self.trained = min(total_stages, epoch * per_epoch)
            elif e.cls:
                model.partial_fit(self.Xtr, y_fit, classes=e.classes)
            else:
                model.partial_fit(self.Xtr, y_fit)
            self.fit_s += time.monotonic() - epoch_start
            if not gb:
                self.trained = epoch
            last_epoch_s = time.monotonic() - epoch_start
            train_pred = self._predict(model, self.Xtr.iloc[self.sample])
            val_pred = self._predict(model, self.Xva)
            y_sample = self.ytr[self.sample]
            scale2 = 1.0 if e.cls else self.scale**2
            row = {
                "epoch": epoch,
                "train_loss": _loss(y_sample, train_pred, e.classes) / scale2,
                "val_loss": _loss(self.yva, val_pred, e.classes) / scale2,
                "train_metrics": _quick_metrics(y_sample, train_pred, e.classes),
                "val_metrics": _quick_metrics(self.yva, val_pred, e.classes),
                "learning_rate": self._learning_rate(model, epoch),
            }
            epochs.append(row)
            run.epoch = epoch
            run.on_event("metric", {**row, "algorithm": self.algorithm})
            run.report(self.algorithm, force=False)
            loss = row["val_loss"]
            if not math.isfinite(loss):
                loss = math.inf
            if loss < best_loss - max(
                1e-4, 1e-3 * abs(best_loss) if math.isfinite(best_loss) else 0
            ):
                best_loss, best_epoch, best_pred = loss, epoch, val_pred
                best_model = None if gb else copy.deepcopy(model)
                stale = 0
            else:
                stale += 1
            if best_pred is None:
                best_pred, best_epoch = val_pred, epoch
            last_pred = val_pred
            if e.early_stopping and stale >= PATIENCE:
                run.log(f"{self.algorithm}: early stop at epoch {epoch}; best epoch {best_epoch}.")
                break
        kept, pred = len(epochs), last_pred
        if e.early_stopping:
            kept, pred = best_epoch, best_pred
            if best_model is not None:
                model = best_model
        if gb:
            stages = min(kept * per_epoch, len(model.estimators_))
            _truncate_stages(model, stages)
            kept = stages
        if not e.cls:
            model = TargetScaledRegressor.from_fitted(model, self.mean, self.scale)
        return model, epochs, pred, kept


def _truncate_stages(model: Any, stages: int) -> None:
    """Keep the first `stages` boosting stages of a fitted GradientBoosting model."""
    if stages <= 0 or stages >= len(model.estimators_):
        return
    model.estimators_ = model.estimators_[:stages]
    model.train_score_ = model.train_score_[:stages]
    for attr in ("oob_improvement_", "oob_scores_"):
        if hasattr(model, attr):
            setattr(model, attr, getattr(model, attr)[:stages])
    model.n_estimators_ = stages
    model.set_params(n_estimators=stages, warm_start=False)


def _short(params: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in params.items()) + "}" if params else "{}"


# --------------------------------------------------------------------------- search


class _Searcher:
    """Proposes configurations for one algorithm: random, grid or bayesian (optuna TPE)."""

    def __init__(self, algorithm: str, method: str, seed: int, user: dict[str, Any] | None):
        self.algorithm = algorithm
        self.method = method
        self.rng = np.random.default_rng(seed)
        self.user = dict(user or {})
        self.space = self._space()
        self._grid: list[dict[str, Any]] | None = None
        self._study = None
        self._trial = None
        if method == "bayesian" and self.space:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
            self._study = optuna.create_study(direction="maximize", sampler=sampler)

    def _space(self) -> dict[str, tuple]:
        spec = catalog.get_algorithm(self.algorithm)
        known = {p.name: p for p in spec.hyperparameters}
        custom = SEARCH_SPACE.get(self.algorithm)
        if custom:
            return {k: v for k, v in custom.items() if k in known}
        space: dict[str, tuple] = {}
        for p in spec.hyperparameters:
            if p.type == "categorical":
                space[p.name] = ("cat", tuple(p.choices or ()))
            elif p.type == "bool":
                space[p.name] = ("cat", (True, False))
            elif p.min is not None and p.max is not None:
                high = min(p.max, _COST_CAPS.get(p.name, p.max))
                low = p.min if not p.log else max(p.min, 1e-12)
                space[p.name] = (p.type, low, max(low, high), p.log)
        return space

    def _sample(self, dim: tuple) -> Any:
        if dim[0] == "cat":
            return dim[1][int(self.rng.integers(len(dim[1])))]
        kind, low, high, log = dim
        if log and low > 0:
            value = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        else:
            value = self.rng.uniform(low, high)
        return int(round(value)) if kind == "int" else float(value)

    def _grid_points(self) -> list[dict[str, Any]]:
        axes = {}
        for name, dim in self.space.items():
            if dim[0] == "cat":
                axes[name] = list(dim[1])
            else:
                kind, low, high, log = dim
                mid = math.sqrt(low * high) if log and low > 0 else (low + high) / 2
                vals = [low, mid, high]
                axes[name] = sorted({int(round(v)) if kind == "int" else float(v) for v in vals})
        combos = [
            dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())
        ]
        order = self.rng.permutation(len(combos))
        return [combos[i] for i in order[:500]]

    def propose(self) -> dict[str, Any] | None:
        """The next configuration, or None when the space is exhausted."""
        if not self.space:
            return None
        if self.method == "grid":
            if self._grid is None:
                self._grid = self._grid_points()
            return {**self.user, **self._grid.pop(0)} if self._grid else None
        if self._study is not None:
            import optuna

            dists = {}
            for name, dim in self.space.items():
                if dim[0] == "cat":
                    dists[name] = optuna.distributions.CategoricalDistribution(list(dim[1]))
                elif dim[0] == "int":
                    dists[name] = optuna.distributions.IntDistribution(
                        int(dim[1]), int(dim[2]), log=bool(dim[3]) and dim[1] > 0
                    )
                else:
                    dists[name] = optuna.distributions.FloatDistribution(
                        float(dim[1]), float(dim[2]), log=bool(dim[3]) and dim[1] > 0
                    )
            self._trial = self._study.ask(dists)
            return {**self.user, **self._trial.params}
        return {**self.user, **{name: self._sample(dim) for name, dim in self.space.items()}}

    def tell(self, key: float | None) -> None:
        """Report the score of the last proposal (bayesian only)."""
        if self._study is not None and self._trial is not None:
            import optuna

            if key is None or not math.isfinite(key):
                self._study.tell(self._trial, state=optuna.trial.TrialState.FAIL)
            else:
                self._study.tell(self._trial, key)
            self._trial = None


# --------------------------------------------------------------------------- finishing


def _own_importance(pipe: Pipeline) -> list[dict[str, Any]] | None:
    """Importances the model carries itself, on the transformed feature names."""
    model = pipe.steps[-1][1]
    if isinstance(model, TargetScaledRegressor | catalog.LogTargetRegressor):
        model = model.regressor_
    try:
        names = [str(n) for n in Pipeline(pipe.steps[:-1]).get_feature_names_out()]
    except (AttributeError, ValueError):
        return None
    values = None
    if hasattr(model, "feature_importances_"):
        values = np.asarray(model.feature_importances_, dtype=float)
    elif hasattr(model, "coef_"):
        values = np.abs(np.asarray(model.coef_, dtype=float)).reshape(-1, len(names)).mean(axis=0)
    elif hasattr(model, "_predictors"):
        values = np.zeros(len(names))
        for per_iteration in model._predictors:
            for predictor in per_iteration:
                nodes = predictor.nodes[~predictor.nodes["is_leaf"].astype(bool)]
                np.add.at(values, nodes["feature_idx"].astype(int), nodes["gain"])
    if values is None or len(values) != len(names):
        return None
    return _importance_list(names, values)


def _importance_list(names: list[str], values: np.ndarray) -> list[dict[str, Any]]:
    values = np.nan_to_num(np.maximum(np.asarray(values, dtype=float), 0.0))
    total = values.sum()
    if total > 0:
        values = values / total
    pairs = [
        {"feature": n.split("__", 1)[-1], "importance": float(v)}
        for n, v in zip(names, values, strict=True)
    ]
    return sorted(pairs, key=lambda d: d["importance"], reverse=True)


def _permutation(
    pipe: Any, X: pd.DataFrame, y: pd.Series, problem_type: str, seed: int, n_rows: int = 300
) -> list[dict[str, Any]]:
    rows = np.random.default_rng(seed).permutation(len(y))[:n_rows]
    scoring = "accuracy" if problem_type == "classification" else "neg_mean_squared_error"
    result = permutation_importance(
        pipe, X.iloc[rows], y.iloc[rows], scoring=scoring, n_repeats=2, random_state=seed, n_jobs=1
    )
    return _importance_list([str(c) for c in X.columns], result.importances_mean)


def _merge_importance(parts: list[tuple[list[dict[str, Any]], float]]) -> list[dict[str, Any]]:
    total: dict[str, float] = {}
    for items, weight in parts:
        for item in items:
            total[item["feature"]] = total.get(item["feature"], 0.0) + weight * item["importance"]
    names = list(total)
    return _importance_list(names, np.asarray([total[n] for n in names]))


def _test_scores(
    pipe: Any, X: pd.DataFrame, y: pd.Series, problem_type: str, classes: np.ndarray | None
) -> tuple[dict[str, Any], list[list[int]] | None, float]:
    t0 = time.perf_counter()
    pred = pipe.predict(X)
    proba = _aligned_proba(pipe, X, classes) if classes is not None else None
    per_row_ms = (time.perf_counter() - t0) * 1000.0 / max(len(X), 1)
    if classes is None:
        return regression_metrics(y.to_numpy(), pred), None, per_row_ms
    metrics = classification_metrics(y.to_numpy(), pred, proba, list(classes))
    matrix = confusion_matrix(y.to_numpy(), pred, labels=list(classes)).astype(int).tolist()
    return metrics, matrix, per_row_ms


# --------------------------------------------------------------------------- entry point


def run_automl(
    df: pd.DataFrame,
    *,
    target: str,
    problem_type: str,
    feature_columns: list[str] | None = None,
    schema: list[dict[str, Any]] | None = None,
    algorithms: str | list[str] = "auto",
    hyperparameters: dict[str, dict] | None = None,
    search: dict[str, Any] | None = None,
    time_budget_s: float = 60.0,
    validation_split: float = 0.2,
    cross_validation: bool = False,
    cv_folds: int = 5,
    early_stopping: bool = True,
    max_epochs: int = 100,
    preprocessing_config: dict[str, Any] | None = None,
    random_state: int = 0,
    on_event: Callable[[str, dict], None] = _noop,
    should_stop: Callable[[], bool] = _never,
    feature_config: dict[str, Any] | None = None,
) -> list[CandidateResult]:
    """Train and rank models for `target` within `time_budget_s`; best first (rank 1..n).

    Raises AutoMLError for unusable input and Cancelled when `should_stop()` turns true.
    """
    _, greater = primary_metric(problem_type) if problem_type in PROBLEM_TYPES else ("", True)
    run = _Run(time_budget_s, on_event, should_stop, greater)
    X, y, features = _check_inputs(
        df, target, problem_type, feature_columns, preprocessing_config, validation_split
    )
    names, user = _resolve_algorithms(algorithms, problem_type, hyperparameters)
    profiles = list(schema) if schema else []
    known = {p["name"] for p in profiles}
    missing = [c for c in features if c not in known]
    if missing:
        profiles += infer_schema(X[missing])
    try:
        used = used_columns(profiles, target, features)
    except ValueError as exc:
        raise AutoMLError(str(exc)) from None
    if not used:
        raise AutoMLError("Every feature column is an id column; there is nothing to learn from.")
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run(
            run, X, y, features, profiles, target, problem_type, names, user, search,
            validation_split, cross_validation, cv_folds, early_stopping, max_epochs,
            preprocessing_config, random_state, feature_config,
        )  # fmt: skip


def _run(run: _Run, X: pd.DataFrame, y: pd.Series, features: list[str], profiles: list[dict],
         target: str, problem_type: str, names: list[str], user: dict[str, dict],
         search: dict | None, validation_split: float, cross_validation: bool, cv_folds: int,
         early_stopping: bool, max_epochs: int, preprocessing_config: dict | None,
         seed: int, feature_config: dict | None = None) -> list[CandidateResult]:  # fmt: skip
    metric_name, greater = primary_metric(problem_type)
    train_idx, test_idx = _holdout_split(X, y, problem_type, validation_split, seed)
    X_train, y_train = (
        X.iloc[train_idx].reset_index(drop=True),
        y.iloc[train_idx].reset_index(drop=True),
    )
    X_test, y_test = (
        X.iloc[test_idx].reset_index(drop=True),
        y.iloc[test_idx].reset_index(drop=True),
    )
    folds = _make_folds(y_train, problem_type, cross_validation, cv_folds, seed)
    run.log(
        f"{problem_type}: {len(y_train)} training rows, {len(y_test)} hold-out rows, "
        f"{len(features)} features; {'holdout' if len(folds) == 1 else f'{len(folds)}-fold'} "
        f"validation{' (your folds)' if cross_validation else ' (chosen by size)'}; "
        f"budget {run.budget:.0f}s."
    )
    run.report("", 0.0)
    engine = _Engine(
        run=run, X=X_train, y=y_train, schema=profiles, target=target, problem_type=problem_type,
        features=features, preprocessing_config=preprocessing_config, folds=folds, seed=seed,
        early_stopping=early_stopping, max_epochs=max_epochs, feature_config=feature_config,
        n_test=len(y_test),
    )  # fmt: skip
    iter_cap = 0.15 * run.budget if len(names) > 1 else run.budget

    def limit_for(algorithm: str) -> float:
        left = run.remaining() - engine.reserve()
        return min(left, iter_cap) if algorithm in ITERATIVE else left

    # 1. Portfolio: every chosen algorithm once (user values or defaults), then extra configs.
    run.ledger.mark("portfolio")
    log_ok = _log_target_ok(y_train, problem_type)
    if log_ok:
        run.log("The target is non-negative and skewed; log1p(target) variants are tried too.")
    queue: list[tuple[str, dict]] = []
    chosen = set(names)
    first = [(a, i) for a, i in FIRST_ROUND if a in chosen]
    first += [(a, 0) for a in names if (a, 0) not in first]
    for algorithm, i in first:
        if algorithm in user:
            if i == 0:
                queue.append((algorithm, user[algorithm]))
        elif i < len(PORTFOLIO.get(algorithm, [{}])):
            params = PORTFOLIO.get(algorithm, [{}])[i]
            if params.get("target_transform", "none") == "log" and not log_ok:
                continue
            queue.append((algorithm, params))
    for algorithm, params in queue:
        if not engine.trials:
            limit = max(limit_for(algorithm), 0.05 * run.budget)
        else:
            limit = limit_for(algorithm)
            if limit <= 0:
                run.ledger.decide(
                    "portfolio", "stopped",
                    "Time budget reached; skipping the remaining configurations (the rest of "
                    f"the budget, {run.remaining():.1f}s, is kept for refitting, scoring and "
                    "saving the best models).",
                    reserved_s=round(engine.reserve(), 2),
                )  # fmt: skip
                break
        if algorithm in ITERATIVE and algorithm in engine.best_by_algo:
            continue
        engine.evaluate(algorithm, params, limit)
    # Then the other target scale of the leading algorithms' best configurations, time allowing.
    for algorithm, params in _log_twins(engine, user) if log_ok else []:
        limit = limit_for(algorithm)
        if limit <= 0:
            break
        engine.evaluate(algorithm, params, limit)

    # 2. Search while time remains.
    run.ledger.mark("search")
    method = (search or {}).get("method") or "random"
    n_iter = (search or {}).get("n_iter")
    search_end = run.deadline
    if (search or {}).get("time_budget_s"):
        search_end = min(search_end, run.now() + float(search["time_budget_s"]))
    searchable = [
        a for a in names
        if a not in ITERATIVE and (a not in user or search) and a in engine.best_by_algo
        and not any(d["action"] == "stopped" for d in run.ledger.decisions)
    ]  # fmt: skip
    searchers = {
        a: _Searcher(a, method, seed + i, _search_fixed(engine.best_by_algo[a], user.get(a)))
        for i, a in enumerate(searchable)
    }
    done = 0
    while searchers and (n_iter is None or done < int(n_iter)):
        reserved = engine.reserve()
        left = min(run.remaining(), search_end - run.now()) - reserved
        if left <= 0.0 and run.remaining() - reserved > 0.0:
            break  # the search's own time limit
        if left <= 0.0:
            run.ledger.decide(
                "search", "stopped",
                f"Search stopped with {max(run.remaining(), 0.0):.1f}s left, kept for "
                "refitting, scoring and saving the best models.",
                "info", reserved_s=round(reserved, 2),
            )  # fmt: skip
            break
        ranked = sorted(
            (a for a in searchers if a in engine.best_by_algo),
            key=lambda a: engine.best_by_algo[a].key,
            reverse=True,
        )
        if not ranked:
            break
        top = ranked[:2]
        algorithm = top[0] if len(top) == 1 or done % 3 != 2 else top[1]
        params = searchers[algorithm].propose()
        if params is None:
            searchers.pop(algorithm)
            continue
        trial = engine.evaluate(algorithm, params, left)
        done += 1
        if trial is None:
            searchers.pop(algorithm)
            continue
        searchers[algorithm].tell(trial.key[0])
    if done:
        run.log(f"Search ({method}) tried {done} configurations.")

    if not engine.best_by_algo:
        raise AutoMLError("No algorithm finished within the time budget; raise time_budget_s.")

    # 3. Ensemble and 4. final candidates.
    run.ledger.mark("ensemble")
    blend = engine.ensemble()
    return _finish(run, engine, blend, X_train, y_train, X_test, y_test, problem_type,
                   metric_name, seed)  # fmt: skip


def _log_twins(engine: _Engine, user: dict[str, dict]) -> list[tuple[str, dict[str, Any]]]:
    """The best configuration of the two leading log-capable algorithms, with the other target
    transform, when that pairing has not been scored yet (user-set transforms are respected)."""
    ranked = sorted(engine.best_by_algo.values(), key=lambda t: t.key, reverse=True)
    tried = {(t.algorithm, _short(t.params)) for t in engine.trials}
    out = []
    for trial in [t for t in ranked if t.algorithm in LOG_TARGET_ALGOS][:2]:
        if "target_transform" in user.get(trial.algorithm, {}):
            continue
        other = "none" if trial.params.get("target_transform") == "log" else "log"
        params = {**trial.params, "target_transform": other}
        if (trial.algorithm, _short(params)) not in tried:
            out.append((trial.algorithm, params))
    return out


def _search_fixed(best: _Trial, given: dict | None) -> dict[str, Any] | None:
    """The values every search proposal keeps: the user's, plus the target transform that
    scored best for the algorithm (the search then tunes the trees for that target scale)."""
    fixed = dict(given or {})
    if "target_transform" in best.params:
        fixed.setdefault("target_transform", best.params["target_transform"])
    return fixed or None


def _finish(run: _Run, engine: _Engine, blend: tuple | None, X_train: pd.DataFrame,
            y_train: pd.Series, X_test: pd.DataFrame, y_test: pd.Series, problem_type: str,
            metric_name: str, seed: int) -> list[CandidateResult]:  # fmt: skip
    best = _full_first(
        list(engine.best_by_algo.values()), lambda t: t.key, lambda t: t.oof is not None
    )
    all_rows = np.arange(len(y_train))
    # The models the rank-1 candidate is made of: refit first and, if need be, slightly late.
    priority = {best[0].algorithm} | ({t.algorithm for t in blend[0]} if blend else set())
    grace = REFIT_GRACE * run.budget
    ledger = run.ledger
    ledger.mark("refit")
    fitted: dict[str, Any] = {}
    fit_times: dict[str, float] = {}
    order = [t for t in best if t.algorithm in priority] + [
        t for t in best if t.algorithm not in priority
    ]
    items = {t.algorithm: engine.finish_item(t, t.algorithm in priority) for t in order}
    # Candidates decided so far, as the work still ahead of them (scoring, saving).
    decided: dict[str, FinishItem] = {}

    def blend_item() -> list[FinishItem]:
        if blend is None:
            return []
        names = [t.algorithm for t in blend[0]]
        work = [decided.get(n, items[n]) for n in names]
        save = sum(w.save_full_s for w in work)
        return [FinishItem("ensemble", True, 0.0, sum(w.score_s for w in work), save, save)]

    for n, trial in enumerate(order):
        run.check()
        name, item = trial.algorithm, items[trial.algorithm]
        # Re-planned before each step with the time actually left: a refit starts only when
        # it is predicted to end in time for the rest of the work.
        todo = [*decided.values(), *blend_item(), *(items[t.algorithm] for t in order[n:])]
        plan = plan_finish(todo, run.remaining(), grace)
        action = "refit" if trial.pipeline is None else plan.action(name)
        fit_times[name] = trial.fit_time_s
        if action == "drop":
            ledger.decide(
                "finish", "dropped",
                f"{name}: left out of the leaderboard; scoring and saving it is predicted not "
                "to end within the time budget.",
                algorithm=name,
            )  # fmt: skip
            continue
        pipe, save = trial.pipeline, item.save_fold_s
        if action == "refit" and not trial.final:
            rest = plan.cost_s - item.refit_s
            must_end = run.budget + (grace if item.required else 0.0) - rest
            ledger.fit_started("refit", name, item.refit_s, must_end)
            t0 = time.monotonic()
            pipe = engine.fit_trial(trial, all_rows)
            fit_times[name] = time.monotonic() - t0
            save = save_seconds(pipe)[0]
        elif not trial.final:
            ledger.decide(
                "refit", "skipped",
                f"{name}: kept the model fitted on {trial.fold_rows} of the {len(all_rows)} "
                f"training rows; the refit is predicted to take {item.refit_s:.1f}s, more than "
                "the budget has left.",
                algorithm=name, predicted_s=round(item.refit_s, 2),
            )  # fmt: skip
        fitted[name] = pipe
        decided[name] = FinishItem(name, True, 0.0, item.score_s, save, save)
        run.report(name, force=False)

    ledger.mark("scoring")
    results: list[CandidateResult] = []
    importances: dict[str, list[dict[str, Any]]] = {}
    scored = [t for t in best if t.algorithm in fitted]
    to_score = {t.algorithm: decided[t.algorithm].score_s for t in scored}
    saves = {t.algorithm: decided[t.algorithm].save_full_s for t in scored}
    ensemble_work = sum(w.score_s for w in blend_item())
    for trial in scored:
        run.check()
        name = trial.algorithm
        pipe = fitted[name]
        to_score.pop(name)
        rest = sum(to_score.values()) + sum(saves.values()) + ensemble_work
        if name not in priority and run.remaining() < decided[name].score_s + rest:
            saves.pop(name)
            ledger.decide(
                "finish", "dropped",
                f"{name}: left out of the leaderboard; scoring it is predicted not to end "
                "within the time budget.",
                algorithm=name,
            )  # fmt: skip
            continue
        metrics, matrix, per_row = _test_scores(pipe, X_test, y_test, problem_type, engine.classes)
        importance, how = _own_importance(pipe), "model"
        if importance is None:
            importance, how = [], "none"
            full = min(300, len(X_test))
            n_rows = importance_rows(
                per_row / 1000.0, len(X_test.columns), 2, run.remaining() - rest, max_rows=full,
                min_rows=min(50, full),
            )  # fmt: skip
            if n_rows == 0:
                ledger.decide(
                    "importance", "skipped",
                    f"{name}: permutation importance skipped; it is predicted not to end "
                    "within the time budget.",
                    algorithm=name,
                )  # fmt: skip
            else:
                if n_rows < full:
                    ledger.decide(
                        "importance", "shortened",
                        f"{name}: permutation importance on {n_rows} hold-out rows instead of "
                        f"{full} (time budget).",
                        algorithm=name, rows=n_rows,
                    )  # fmt: skip
                ledger.mark("importance")
                importance = _permutation(pipe, X_test, y_test, problem_type, seed, n_rows)
                ledger.mark("scoring")
                how = "permutation"
        importances[name] = importance
        results.append(_candidate(trial.algorithm, trial.params, pipe, trial.cv_value, trial.key,
                                  metrics, matrix, per_row, importance, fit_times[trial.algorithm],
                                  trial.epochs, metric_name, engine.classes,
                                  trial.oof is not None))  # fmt: skip
        results[-1].importance_method = how if importance else "none"
    if blend is not None:
        members, weights, value, key = blend
        pipes = [fitted[t.algorithm] for t in members]
        model = WeightedEnsemble.from_fitted(pipes, weights, problem_type)
        pipe = Pipeline(
            [("preprocess", "passthrough"), ("features", "passthrough"), ("model", model)]
        ).set_output(transform="pandas")
        metrics, matrix, per_row = _test_scores(pipe, X_test, y_test, problem_type, engine.classes)
        norm = model.weights_.tolist()
        importance = _merge_importance(
            [(importances.get(t.algorithm, []), w) for t, w in zip(members, norm, strict=True)]
        )
        params = {
            "members": [
                {"algorithm": t.algorithm, "hyperparameters": t.params, "weight": round(w, 4)}
                for t, w in zip(members, norm, strict=True)
            ]
        }
        fit_s = sum(fit_times[t.algorithm] for t in members)
        results.append(_candidate("ensemble", params, pipe, value, key, metrics, matrix, per_row,
                                  importance, fit_s, [], metric_name, engine.classes))  # fmt: skip
        results[-1].importance_method = "blend" if importance else "none"
        run.log(f"Ensemble of {', '.join(t.algorithm for t in members)}: cv {metric_name} {value}.")

    results = _full_first(results, lambda r: r._key, lambda r: r._full)
    for i, res in enumerate(results, start=1):
        res.rank = i
        del res._key, res._full  # type: ignore[attr-defined]
    # What registration will still do: save every candidate (a blend saves its members again).
    ledger.summary(pending_s=sum(saves.values()) + sum(w.save_full_s for w in blend_item()))
    top = results[0]
    run.log(
        f"Best: {top.algorithm} (cv {metric_name} {top.cv_score}, hold-out {top.primary_value})."
    )
    run.progress = 1.0
    run.on_event(
        "progress",
        {
            "progress": 1.0,
            "current_epoch": run.epoch,
            "best_metric": top.cv_score,
            "estimated_time_remaining": 0.0,
            "algorithm": top.algorithm,
        },
    )
    return results


def _candidate(algorithm: str, params: dict, pipe: Any, cv_value: float | None, key: tuple,
               metrics: dict, matrix: list | None, per_row: float, importance: list,
               fit_s: float, epochs: list, metric_name: str,
               classes: np.ndarray | None, full: bool = True) -> CandidateResult:  # fmt: skip
    value = metrics.get(metric_name)
    if value is None:
        value = cv_value if cv_value is not None else float("nan")
    res = CandidateResult(
        algorithm=algorithm,
        hyperparameters=params,
        pipeline=pipe,
        cv_score=cv_value,
        test_metrics=metrics,
        primary_metric=metric_name,
        primary_value=float(value),
        confusion_matrix=matrix,
        classes=classes.tolist() if classes is not None else None,
        feature_importance=importance,
        fit_time_s=round(float(fit_s), 4),
        inference_time_ms=round(float(per_row), 5),
        epochs=epochs,
    )
    res._key = key  # type: ignore[attr-defined]
    res._full = full  # type: ignore[attr-defined]
    return res
