"""The end of a run: score the refit models on the hold-out (with their importances, as the
time left allows), add the blend, rank the candidates and account for the time. Django-free.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.importance import by_column, merge_importances
from modeling.metrics import readable
from training.automl.candidates import CandidateResult, Scored, leaderboard_of
from training.automl.ensemble import Blend, blend_pipeline
from training.automl.importance import own_importance, permutation_shares
from training.automl.refit import Refits, refit_winners
from training.automl.scoring import call_seconds, holdout_scores
from training.automl.trials import Engine, Trial
from training.budget import importance_rows

__all__ = ["finish"]


def finish(
    engine: Engine, blend: Blend | None, X_test: pd.DataFrame, y_test: pd.Series
) -> list[CandidateResult]:
    """Refit the winners, score them and the blend on the hold-out rows, and rank them."""
    refits = refit_winners(engine, blend)
    ledger = engine.run.ledger
    ledger.mark("scoring")
    scored: list[Scored] = []
    kept = [t for t in refits.best if t.algorithm in refits.fitted]
    to_score = {t.algorithm: refits.decided[t.algorithm].score_s for t in kept}
    saves = {t.algorithm: refits.decided[t.algorithm].save_full_s for t in kept}
    ensemble_work = sum(w.score_s for w in refits.blend_work(blend))
    for trial in kept:
        engine.run.check()
        name = trial.algorithm
        to_score.pop(name)
        rest = sum(to_score.values()) + sum(saves.values()) + ensemble_work
        if (
            name not in refits.priority
            and engine.run.remaining() < refits.decided[name].score_s + rest
        ):
            saves.pop(name)
            ledger.decide(
                "finish",
                "dropped",
                f"{engine.label(name)}: left out of the leaderboard; scoring it is predicted not "
                "to end within the time budget.",
                algorithm=name,
            )
            continue
        scored.append(_score_trial(engine, refits, trial, (X_test, y_test), rest))
    if blend is not None and any(t.algorithm not in refits.fitted for t in blend.members):
        engine.run.log("The ensemble is left out: a member of it could not be refit.", "warning")
        blend = None
    if blend is not None:
        scored.append(_score_blend(engine, refits, blend, (X_test, y_test), scored))
    metric_name, _ = engine.settings.metric
    results = leaderboard_of(scored, metric_name, engine.classes)
    # What registration will still do: save every candidate (a blend saves its members again).
    pending = sum(saves.values()) + sum(w.save_full_s for w in refits.blend_work(blend))
    ledger.summary(pending_s=pending)
    top = results[0]
    engine.run.log(
        f"Best: {engine.label(top.algorithm)} (cv {metric_name} {readable(top.cv_score)}, "
        f"hold-out {readable(top.primary_value)})."
    )
    engine.run.finished(top.algorithm, top.cv_score)
    return results


def _score_trial(
    engine: Engine,
    refits: Refits,
    trial: Trial,
    holdout: tuple[pd.DataFrame, pd.Series],
    rest: float,
) -> Scored:
    """A refit model's hold-out figures and importance; `rest` is the predicted work after it."""
    X_test, y_test = holdout
    pipe = refits.fitted[trial.algorithm]
    scores = holdout_scores(pipe, X_test, y_test, engine.classes)
    importance, how = own_importance(pipe), "model"
    if importance is None:
        timing = (scores.per_row_ms, rest)
        importance, how = _permutation(engine, trial.algorithm, pipe, holdout, timing)
    return Scored(
        algorithm=trial.algorithm,
        params=trial.params,
        pipeline=pipe,
        cv_value=trial.cv_value,
        key=trial.key,
        full=trial.full,
        metrics=scores.metrics,
        matrix=scores.matrix,
        residuals=scores.residuals,
        per_row_ms=scores.per_row_ms,
        fit_s=refits.fit_times[trial.algorithm],
        epochs=trial.epochs,
        importance=importance,
        importance_method=how,
    )


def _permutation(
    engine: Engine,
    name: str,
    pipe: Any,
    holdout: tuple[pd.DataFrame, pd.Series],
    timing: tuple[float, float],
) -> tuple[list[dict[str, Any]], str]:
    """Permutation importance on as many hold-out rows as the time left allows (`timing`: ms
    per predicted row, seconds of work after this model), or none."""
    X_test, y_test = holdout
    per_row, rest = timing
    ledger = engine.run.ledger
    full = min(300, len(X_test))
    n_rows = importance_rows(
        per_row / 1000.0,
        len(X_test.columns),
        2,
        engine.run.remaining() - rest,
        max_rows=full,
        min_rows=min(50, full),
        per_call_s=call_seconds(pipe, X_test),
    )
    if n_rows == 0:
        ledger.decide(
            "importance",
            "skipped",
            f"{engine.label(name)}: permutation importance skipped; it is predicted not to end "
            "within the time budget.",
            algorithm=name,
        )
        return [], "none"
    if n_rows < full:
        ledger.decide(
            "importance",
            "shortened",
            f"{engine.label(name)}: permutation importance on {n_rows} hold-out rows instead of "
            f"{full} (time budget).",
            algorithm=name,
            rows=n_rows,
        )
    ledger.mark("importance")
    s = engine.settings
    importance = permutation_shares(pipe, X_test, y_test, s.problem_type, s.random_state, n_rows)
    ledger.mark("scoring")
    return importance, "permutation"


def _score_blend(
    engine: Engine,
    refits: Refits,
    blend: Blend,
    holdout: tuple[pd.DataFrame, pd.Series],
    scored: list[Scored],
) -> Scored:
    """The blend of the refit members, scored on the hold-out, its importance the members'
    weighted."""
    members = blend.members
    pipe = blend_pipeline(
        [refits.fitted[t.algorithm] for t in members], blend.weights, engine.problem_type
    )
    scores = holdout_scores(pipe, holdout[0], holdout[1], engine.classes)
    norm = pipe.steps[-1][1].weights_.tolist()
    importances = {s.algorithm: s.importance for s in scored}
    columns = [str(c) for c in holdout[0].columns]
    importance = merge_importances(
        [
            (by_column(importances.get(t.algorithm, []), columns), w)
            for t, w in zip(members, norm, strict=True)
        ]
    )
    params = {
        "members": [
            {"algorithm": t.algorithm, "hyperparameters": t.params, "weight": round(w, 4)}
            for t, w in zip(members, norm, strict=True)
        ]
    }
    metric_name, _ = engine.settings.metric
    names = ", ".join(engine.label(t.algorithm) for t in members)
    engine.run.log(f"Ensemble of {names}: cv {metric_name} {readable(blend.value)}.")
    return Scored(
        algorithm="ensemble",
        params=params,
        pipeline=pipe,
        cv_value=blend.value,
        key=blend.key,
        full=True,
        metrics=scores.metrics,
        matrix=scores.matrix,
        residuals=scores.residuals,
        per_row_ms=scores.per_row_ms,
        fit_s=sum(refits.fit_times[t.algorithm] for t in members),
        importance=importance,
        importance_method="blend",
    )
