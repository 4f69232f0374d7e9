"""The portfolio: known-good configurations tried before any search, cheapest and strongest
first, then the other target scale of the leading algorithms' best. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modeling.catalog import ClippedInputRegressor, get_algorithm
from preprocessing.builder import numeric_names, used_columns
from training.automl import crossval
from training.automl.epochs import ITERATIVE
from training.automl.planning import reserve, search_limit
from training.automl.trials import Engine

__all__ = [
    "FIRST_ROUND",
    "LOG_TARGET_ALGOS",
    "PORTFOLIO",
    "clipping_matters",
    "portfolio_queue",
    "run_portfolio",
]

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
    # Regression: the last two clip each input to its training rows' central range, so a row far
    # outside it is not extrapolated (Ames: the two largest houses of the hold-out, partial sales,
    # were priced at the training maximum); cross-validation decides between clipped and not.
    "linear": [
        {},
        {"alpha": 10.0},
        {"alpha": 0.1},
        {"target_transform": "log"},
        {"clip_inputs": True},
        {"target_transform": "log", "clip_inputs": True},
    ],
    "random_forest": [{}, {"max_features": 0.5, "min_samples_leaf": 2}],
    "extra_trees": [{}, {"max_features": 0.5, "min_samples_leaf": 2}],
}
# The first round: (algorithm, portfolio index), strongest and cheapest first.
FIRST_ROUND = [
    ("linear", 0),
    ("hist_gradient_boosting", 0),
    ("hist_gradient_boosting", 5),
    ("linear", 3),
    ("linear", 4),
    ("linear", 5),
    ("hist_gradient_boosting", 1),
    ("random_forest", 0),
    ("extra_trees", 0),
    ("hist_gradient_boosting", 2),
    ("hist_gradient_boosting", 7),
    ("hist_gradient_boosting", 3),
    ("gradient_boosting", 0),
    ("mlp", 0),
    ("knn", 0),
    ("svm", 0),
    ("sgd", 0),
    ("decision_tree", 0),
    ("hist_gradient_boosting", 6),
    ("hist_gradient_boosting", 4),
    ("random_forest", 1),
    ("extra_trees", 1),
    ("linear", 1),
    ("linear", 2),
]
# Algorithms that can fit on log1p(target) (`target_transform`).
LOG_TARGET_ALGOS = ("hist_gradient_boosting", "linear", "random_forest", "extra_trees")


def clipping_matters(X: pd.DataFrame) -> bool:
    """Whether clipped inputs (`clip_inputs`) would change some numeric column of the training
    rows `X`: not when every one is a flag or has no values beyond its percentiles."""
    values = X.select_dtypes("number").to_numpy(dtype="float64")
    if not values.size:
        return False
    lower, upper = ClippedInputRegressor.bounds(values)
    with np.errstate(invalid="ignore"):
        return bool(((values < lower) | (values > upper)).any())


def portfolio_queue(
    names: list[str], user: dict[str, dict[str, Any]], log_ok: bool, clip_ok: bool
) -> list[tuple[str, dict[str, Any]]]:
    """The configurations to try, in order: the user's own or the portfolio's for each chosen
    algorithm (log-target ones only when the target qualifies, clipped inputs only when
    `clip_ok`: a regression whose inputs clipping changes)."""
    chosen = set(names)
    first = [(a, i) for a, i in FIRST_ROUND if a in chosen]
    first += [(a, 0) for a in names if (a, 0) not in first]
    queue: list[tuple[str, dict[str, Any]]] = []
    for algorithm, i in first:
        if algorithm in user:
            if i == 0:
                queue.append((algorithm, user[algorithm]))
        elif i < len(PORTFOLIO.get(algorithm, [{}])):
            params = PORTFOLIO.get(algorithm, [{}])[i]
            if params.get("target_transform", "none") == "log" and not log_ok:
                continue
            if params.get("clip_inputs") and not clip_ok:
                continue
            queue.append((algorithm, params))
    return queue


def run_portfolio(engine: Engine, log_ok: bool, iterative_cap: float) -> None:
    """Evaluate the portfolio in order while the time left (less the reserve) allows, then the
    other target scale of the leading algorithms' best configurations."""
    run, s = engine.run, engine.settings
    numeric = numeric_names(used_columns(engine.schema, s.target, engine.features))
    clip_ok = s.problem_type == "regression" and clipping_matters(engine.X[numeric])
    for algorithm, params in portfolio_queue(s.algorithm_names, s.user_params, log_ok, clip_ok):
        cap = iterative_cap if algorithm in ITERATIVE else None
        limit = search_limit(engine, algorithm, cap)
        if not engine.trials:
            limit = max(limit, 0.05 * run.budget)
        elif limit <= 0:
            run.ledger.decide(
                "portfolio",
                "stopped",
                "Time budget reached; skipping the remaining configurations (the rest of "
                f"the budget, {run.remaining():.1f}s, is kept for refitting, scoring and "
                "saving the best models).",
                reserved_s=round(reserve(engine), 2),
            )
            break
        if algorithm in ITERATIVE and algorithm in engine.best_by_algo:
            continue
        crossval.evaluate(engine, algorithm, params, limit)
    for algorithm, params in log_twins(engine) if log_ok else []:
        cap = iterative_cap if algorithm in ITERATIVE else None
        limit = search_limit(engine, algorithm, cap)
        if limit <= 0:
            break
        crossval.evaluate(engine, algorithm, params, limit)


def log_twins(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    """The best configuration of the two leading log-capable algorithms, with the other target
    transform, when that pairing has not been scored yet (user-set transforms are respected)."""
    user = engine.settings.user_params

    def key(algorithm: str, params: dict[str, Any]) -> tuple[str, str]:
        # Every value spelt out, so {} and {"target_transform": "none"} are the same model.
        resolved = get_algorithm(algorithm).resolve(params, engine.problem_type)
        return algorithm, repr(sorted(resolved.items()))

    tried = {key(t.algorithm, t.params) for t in engine.trials}
    out = []
    for trial in [t for t in engine.ranked() if t.algorithm in LOG_TARGET_ALGOS][:2]:
        if "target_transform" in user.get(trial.algorithm, {}):
            continue
        other = "none" if trial.params.get("target_transform") == "log" else "log"
        params = {**trial.params, "target_transform": other}
        if key(trial.algorithm, params) not in tried:
            out.append((trial.algorithm, params))
    return out
