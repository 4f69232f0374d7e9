"""The blend: greedy (Caruana) ensemble selection with replacement over the best trial of each
algorithm, on their out-of-fold predictions, within the time the budget leaves. Django-free.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from training.automl.planning import ENSEMBLE_ROUNDS, finish_item, finish_items
from training.automl.ranking import SCORE_TOL, RankKey, rank_key
from training.automl.scoring import fold_spread, oof_score
from training.automl.trials import Engine, Trial
from training.budget import search_reserve
from training.builder import WeightedEnsemble

__all__ = ["Blend", "affordable_pool", "blend_pipeline", "select_blend"]

# At most this many algorithms' best trials enter the selection.
POOL_SIZE = 6
# The share of the budget the blend selection may take even when the reserve is spent.
BLEND_FLOOR = 0.01


@dataclass(frozen=True)
class Blend:
    """The chosen members, their weights (selection counts), out-of-fold score and rank key."""

    members: list[Trial]
    weights: list[float]
    value: float | None
    key: RankKey


def affordable_pool(engine: Engine, pool: list[Trial]) -> list[Trial]:
    """The blend candidates whose extra work fits in the time left after the best one's: a
    member is scored and saved twice (alone and inside the blend); fewer members otherwise."""
    if len(pool) < 2:
        return pool
    room = engine.run.remaining() - search_reserve([finish_item(engine, pool[0], True)])
    kept = [pool[0]]
    for trial in pool[1:]:
        item = finish_item(engine, trial, True)
        extra = 2.0 * (item.score_s + item.save_fold_s)
        if extra <= room:
            kept.append(trial)
            room -= extra
        else:
            engine.run.ledger.decide(
                "ensemble",
                "shortened",
                f"{engine.label(trial.algorithm)} left out of the blend: scoring and saving it "
                "again inside the blend is predicted not to fit in the time budget.",
                algorithm=trial.algorithm,
                predicted_s=round(extra, 2),
            )
    return kept


def select_blend(engine: Engine) -> Blend | None:
    """The blend of the best trials, or None when fewer than two members help or it does not
    beat the best single model by more than the tie tolerance."""
    pool = [t for t in engine.ranked() if t.oof is not None and t.cv_value is not None]
    pool = affordable_pool(engine, pool[:POOL_SIZE])
    if len(pool) < 2:
        return None
    counts, value, raw_key = _greedy_counts(engine, pool)
    members = [(t, c) for t, c in zip(pool, counts, strict=True) if c > 0]
    if len(members) < 2:
        return None
    oofs = [(t.oof, c) for t, c in members if t.oof is not None]
    blend = sum((o * c for o, c in oofs), np.zeros_like(oofs[0][0])) / sum(c for _, c in oofs)
    spread = fold_spread(engine.y_arr, blend, [va for _, va in engine.folds], engine.classes)
    key = rank_key("ensemble", value, raw_key, spread, engine.cls)
    # A blend is more to run and to explain: it must beat the best single model's score
    # by more than the tie tolerance, not merely match it.
    if key[0] <= max(t.key[0] for t in engine.best_by_algo.values()) + SCORE_TOL:
        return None
    return Blend([t for t, _ in members], [float(c) for _, c in members], value, key)


def _greedy_counts(
    engine: Engine, pool: list[Trial]
) -> tuple[list[int], float | None, tuple[float, float]]:
    """Selection counts of the best round, its out-of-fold score and raw sort key. Each round
    adds the member that scores best in the running average; rounds stop early when the next
    is predicted to eat into the post-search work."""
    rows = engine.oof_rows
    y = engine.y_arr[rows]
    preds = [t.oof[rows] for t in pool if t.oof is not None]
    counts = [0] * len(pool)
    total = np.zeros_like(preds[0])
    best_key: tuple[float, float] = (-math.inf, -math.inf)
    best_counts: list[int] = []
    best_value = None
    # The rounds may always take a small share of the budget: they cost milliseconds each, and
    # the search usually ends with its reserve just spent, which cut every blend to two rounds.
    floor = time.monotonic() + BLEND_FLOOR * engine.run.budget
    stop_at = max(engine.run.deadline - search_reserve(finish_items(engine)), floor)
    round_s = 0.0
    for n in range(1, ENSEMBLE_ROUNDS + 1):
        started = time.monotonic()
        if n > 2 and started + round_s > stop_at:
            engine.run.ledger.decide(
                "ensemble",
                "shortened",
                f"Blend selection stopped after {n - 1} of {ENSEMBLE_ROUNDS} rounds (time budget).",
                rounds=n - 1,
            )
            break
        scored = [(oof_score(y, (total + p) / n, engine.classes), i) for i, p in enumerate(preds)]
        # The first of the best: a later member replaces it only with a greater key.
        (value, key), i = max(scored, key=lambda s: (s[0][1], -s[1]))
        counts[i] += 1
        total = total + preds[i]
        if key > best_key:
            best_key, best_counts, best_value = key, list(counts), value
        round_s = time.monotonic() - started
    return best_counts, best_value, best_key


def blend_pipeline(pipes: list[Pipeline], weights: list[float], problem_type: str) -> Pipeline:
    """A pipeline whose model is the weighted blend of already-fitted member pipelines."""
    model = WeightedEnsemble.from_fitted(pipes, weights, problem_type)
    return Pipeline(
        [("preprocess", "passthrough"), ("features", "passthrough"), ("model", model)]
    ).set_output(transform="pandas")
