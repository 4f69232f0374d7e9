"""Time planning of the search: predicted fold, refit, scoring and saving times of the trials,
and the time the search keeps back for the work after it (`training.budget`). Django-free.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from training.automl.splits import capped_rows
from training.automl.trials import Engine, Trial
from training.budget import LOAD_MARGIN, FinishItem, save_seconds, scaled_cost, search_reserve

__all__ = [
    "ENSEMBLE_ROUNDS",
    "REFIT_GAP",
    "REFIT_GRACE",
    "REFIT_TOP",
    "RELATIVE_COST",
    "finish_item",
    "finish_items",
    "fold_estimate",
    "reserve",
]

# The search keeps back the predicted refit, scoring and saving of the leading `REFIT_TOP`
# algorithms (the rank-1 model and the likely blend members) and the scoring and saving of the
# others (`training.budget`); it stops when only that time is left.
REFIT_TOP = 3
# A leading algorithm this far behind the best on the rank key's scale (AUC points; log RMSE,
# where 0.05 is about 5% RMSE) is not a likely blend member: no refit time is kept for it (it
# is still refit at the end when the time is there). On four regression tables a 200-tree
# forest 12-17% behind the boosting model held back 17-22 s of a 60 s budget for its refit, the
# search stopped at a third of the budget and the job ended 11-19 s early.
REFIT_GAP = {"classification": 0.01, "regression": 0.05}
# The rank-1 model (and the blend's members) may overrun the budget by this share to be refit.
REFIT_GRACE = 0.03
# Fold-fit cost of an algorithm not measured yet, relative to the default hist_gradient_boosting
# (per 100 trees for forests), so that a first forest fit predicted not to finish is not started.
RELATIVE_COST = {
    "linear": 0.5,
    "hist_gradient_boosting": 1.0,
    "random_forest": 6.0,
    "extra_trees": 4.0,
    "knn": 0.5,
    "svm": 1.5,
    "decision_tree": 0.3,
}
# Rounds of the greedy blend selection (`ensemble.select_blend`).
ENSEMBLE_ROUNDS = 25


def refit_estimate(engine: Engine, trial: Trial) -> float:
    """Seconds to refit `trial` on all training rows: its slowest fold fit, scaled by rows."""
    if trial.final:
        return 0.0
    return scaled_cost(
        trial.fold_fit_s, trial.fold_rows, capped_rows(trial.algorithm, len(engine.y))
    )


def _save_fold(trial: Trial) -> float:
    """Predicted seconds to save the trial's model as it is (measured once, then kept)."""
    if trial.save_s is None:
        trial.save_s = save_seconds(trial.pipeline)[0] if trial.pipeline is not None else 0.1
    return trial.save_s


def finish_item(engine: Engine, trial: Trial, required: bool) -> FinishItem:
    """The predicted post-search work of `trial` (refit, hold-out scoring, saving)."""
    save_fold = _save_fold(trial)
    # Forests and knn grow with the rows they are fitted on; the others hardly change.
    refit_rows = capped_rows(trial.algorithm, len(engine.y))
    grow = 1.0 if trial.final else refit_rows / max(trial.fold_rows, 1)
    calls = 2 if engine.cls else 1  # hold-out scoring predicts labels and probabilities
    score = trial.predict_s_per_row * engine.n_test * calls * LOAD_MARGIN + 0.05
    return FinishItem(
        name=trial.algorithm,
        required=required,
        refit_s=refit_estimate(engine, trial),
        score_s=score,
        save_fold_s=save_fold,
        save_full_s=save_fold * max(grow, 1.0),
    )


def blend_item(name: str, members: list[FinishItem]) -> FinishItem:
    """The post-search work of a blend of `members`: it predicts and saves each one again."""
    save = sum(i.save_full_s for i in members)
    return FinishItem(
        name=name,
        required=True,
        refit_s=0.0,
        score_s=sum(i.score_s for i in members),
        save_fold_s=save,
        save_full_s=save,
    )


def finish_items(engine: Engine) -> list[FinishItem]:
    """The post-search work if the search stopped now: the leading `REFIT_TOP` algorithms
    required (but those `REFIT_GAP` behind the best), and a blend of the leading ones (it
    predicts and saves every member again)."""
    left = engine.run.remaining()
    items = []
    ranked = engine.ranked()
    gap = REFIT_GAP["classification" if engine.cls else "regression"]
    for i, trial in enumerate(ranked):
        likely = i == 0 or ranked[0].key[0] - trial.key[0] <= gap
        item = finish_item(engine, trial, i < REFIT_TOP and likely)
        if item.refit_s + item.score_s + item.save_full_s > left:
            # Its refit cannot end in time whatever the search does (the model will keep its
            # fold model), so the search does not stop early to keep time for it: on hotel_rates
            # the search stopped with 22 s left for a 46 s refit that then never ran.
            item = dataclasses.replace(item, refit_s=0.0, save_full_s=item.save_fold_s)
        items.append(item)
    top = items[:REFIT_TOP]
    if len(top) > 1:
        items.append(blend_item("ensemble", top))
    return items


def reserve(engine: Engine) -> float:
    """Seconds the search keeps back for the post-search work (`budget.search_reserve`),
    and for choosing the blend (every round scores each pool member's addition)."""
    n = len(engine.best_by_algo)
    pool = min(n, 6) if n > 1 else 0
    score_s = float(np.median(engine.oof_scores)) if engine.oof_scores else 0.0
    blend_s = score_s * pool * ENSEMBLE_ROUNDS * LOAD_MARGIN
    return search_reserve(finish_items(engine)) + blend_s + 0.2


def fold_estimate(engine: Engine, algorithm: str, params: dict[str, Any]) -> float | None:
    """Predicted seconds of one fold (fit and predict) of a configuration: from an earlier
    configuration of the same algorithm, else from measured ones and `RELATIVE_COST`; None
    when nothing comparable has been measured yet."""
    size = cost_size(len(engine.features), algorithm, params)
    if algorithm in engine.fold_time:
        seconds, measured = engine.fold_time[algorithm]
        return seconds * size / measured * LOAD_MARGIN
    # The prior is rough: it only holds back the algorithms known to be many times slower.
    if RELATIVE_COST.get(algorithm, 0.0) < 2.0:
        return None
    base = [
        seconds / (RELATIVE_COST[a] * measured)
        for a, (seconds, measured) in engine.fold_time.items()
        if a in RELATIVE_COST
    ]
    if not base:
        return None
    # The slowest unit, not the median: a linear fit is mostly fixed overhead and made the unit
    # look cheap, so a first extra-trees fold on 26,000 rows was predicted at 30 s, took 40 s
    # and left no time for the blend (nycflights, issue 14).
    return max(base) * RELATIVE_COST[algorithm] * size * LOAD_MARGIN


def cost_size(n_features: int, algorithm: str, params: dict[str, Any]) -> float:
    """How much work a configuration is relative to its algorithm's unit of `RELATIVE_COST`
    (forests: hundreds of trees, times the features tried per split relative to sqrt)."""
    if algorithm not in ("random_forest", "extra_trees"):
        return 1.0
    n = max(n_features, 1)
    share = params.get("max_features", "sqrt")
    tried = {"sqrt": math.sqrt(n), "log2": max(math.log2(n), 1.0), "all": float(n)}.get(
        share, float(share) * n if isinstance(share, int | float) else math.sqrt(n)
    )
    return float(params.get("n_estimators", 100)) / 100.0 * max(tried, 1.0) / math.sqrt(n)


def search_limit(engine: Engine, algorithm: str, iterative_cap: float | None) -> float:
    """Seconds a configuration of `algorithm` may take now: the time left less the reserve,
    and at most `iterative_cap` for an iterative algorithm (None: no cap)."""
    left = engine.run.remaining() - reserve(engine)
    return min(left, iterative_cap) if iterative_cap is not None else left
