"""Evaluating one configuration: fitted fold by fold on the training rows and scored out of
fold (iterative algorithms go through `epochs`), and refitting a trial's configuration.
Django-free.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from modeling import catalog
from training.automl import epochs
from training.automl.planning import cost_size, fold_estimate
from training.automl.scoring import predict_for_score
from training.automl.settings import AutoMLError, Cancelled
from training.automl.splits import capped_rows
from training.automl.trials import Engine, Trial, short_params

__all__ = ["evaluate", "fit_trial"]

logger = logging.getLogger(__name__)


def evaluate(engine: Engine, algorithm: str, params: dict[str, Any], limit: float) -> Trial | None:
    """Score one configuration; None when it cannot start within `limit` seconds, or when it
    fails (logged with the reason: one failing configuration never ends the run)."""
    engine.run.check()
    try:
        return _evaluate(engine, algorithm, params, limit)
    except (Cancelled, AutoMLError):
        raise
    except Exception as exc:
        logger.exception("Evaluating %s %s failed", algorithm, short_params(params, algorithm))
        engine.run.log(
            f"{engine.label(algorithm)} {short_params(params, algorithm)} failed and is left out: "
            f"{type(exc).__name__}: {exc}",
            "warning",
        )
        return None


def _evaluate(engine: Engine, algorithm: str, params: dict[str, Any], limit: float) -> Trial | None:
    spec = catalog.get_algorithm(algorithm)
    if spec.validate(params):
        return None
    params = spec.resolve(params, engine.problem_type)
    if algorithm in epochs.ITERATIVE:
        return epochs.evaluate_iterative(engine, algorithm, params, limit)
    est = fold_estimate(engine, algorithm, params)
    if est is not None and est > limit:
        engine.run.ledger.decide(
            "search",
            "skipped",
            f"Skipping {engine.label(algorithm)} {short_params(params, algorithm)}: one fold is "
            f"predicted to take {est:.1f}s and {max(limit, 0.0):.1f}s are left for it.",
            algorithm=algorithm,
            predicted_s=round(est, 2),
        )
        return None
    return _cross_validate(engine, algorithm, params, limit)


def _cross_validate(engine: Engine, algorithm: str, params: dict[str, Any], limit: float) -> Trial:
    """Fit and score the folds in turn, stopping early when the rest would not fit in `limit`."""
    start = time.monotonic()
    oof = engine.empty_oof()
    done: list[np.ndarray] = []
    first_pipe, fold_s, fold_rows, predict_s = None, 0.0, 0, 0.0
    for k, (tr, va) in enumerate(engine.folds):
        engine.run.check()
        elapsed = time.monotonic() - start
        if k > 0 and elapsed / k > limit - elapsed:
            engine.run.ledger.decide(
                "search",
                "shortened",
                f"{engine.label(algorithm)}: stopped after {k} folds to stay within budget.",
                algorithm=algorithm,
                folds=k,
            )
            break
        t0 = time.monotonic()
        pipe = engine.fit(engine.pipeline(algorithm, params), algorithm, tr)
        fit_s = time.monotonic() - t0
        oof[va] = predict_for_score(pipe, engine.X.iloc[va], engine.classes).reshape(len(va), -1)
        done.append(va)
        if k == 0:
            first_pipe = pipe
            predict_s = (time.monotonic() - t0 - fit_s) / max(len(va), 1)
        if fit_s >= fold_s:
            # The slowest fold: under load, fit times vary and the refit must not be late.
            fold_s, fold_rows = fit_s, capped_rows(algorithm, len(tr))
    per_fold = (time.monotonic() - start) / len(done)
    engine.fold_time[algorithm] = (per_fold, cost_size(len(engine.features), algorithm, params))
    trial = engine.scored_trial(algorithm, params, oof, done, start)
    trial.pipeline, trial.fold_fit_s, trial.fold_rows = first_pipe, fold_s, fold_rows
    trial.predict_s_per_row = predict_s
    engine.record(trial)
    return trial


def fit_trial(engine: Engine, trial: Trial, rows: np.ndarray) -> Pipeline:
    """Refit a trial's configuration on `rows` (iterative: for its kept epoch count)."""
    if trial.n_epochs is not None:
        return epochs.fit_epochs(engine, trial.algorithm, trial.params, rows, trial.n_epochs)
    return engine.fit(engine.pipeline(trial.algorithm, trial.params), trial.algorithm, rows)
