"""Refitting the winners on all training rows after the search (the rank-1 model and the blend
members first), each refit started only when it is predicted to end in time for the work after
it; otherwise a model keeps its fold model or, when even scoring and saving it would not fit, it
is dropped. Django-free.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.automl import crossval
from training.automl.ensemble import Blend
from training.automl.planning import REFIT_GRACE, blend_item, finish_item
from training.automl.ranking import full_first
from training.automl.settings import AutoMLError, Cancelled
from training.automl.trials import Engine, Trial
from training.budget import FinishItem, plan_finish, save_seconds

__all__ = ["Refits", "refit_winners"]

logger = logging.getLogger(__name__)


@dataclass
class Refits:
    """The outcome of the refit phase, per algorithm."""

    best: list[Trial]  # the best trial of each algorithm, ranked (fully cross-validated first)
    priority: set[str]  # the rank-1 model and the blend's members
    items: dict[str, FinishItem]  # predicted work of each, as planned before the refits
    fitted: dict[str, Any] = field(default_factory=dict)  # the model to score and save
    fit_times: dict[str, float] = field(default_factory=dict)
    # Kept candidates, as the work still ahead of them (scoring, saving).
    decided: dict[str, FinishItem] = field(default_factory=dict)

    def blend_work(self, blend: Blend | None) -> list[FinishItem]:
        """The blend's own work (it predicts and saves each member again), or none."""
        if blend is None:
            return []
        names = [t.algorithm for t in blend.members]
        return [blend_item("ensemble", [self.decided.get(n, self.items[n]) for n in names])]


def refit_winners(engine: Engine, blend: Blend | None) -> Refits:
    """Refit (or keep, or drop) the best trial of each algorithm, the priority ones first."""
    best = full_first(list(engine.best_by_algo.values()), lambda t: t.key, lambda t: t.full)
    priority = {best[0].algorithm} | ({t.algorithm for t in blend.members} if blend else set())
    engine.run.ledger.mark("refit")
    order = [t for t in best if t.algorithm in priority]
    order += [t for t in best if t.algorithm not in priority]
    items = {t.algorithm: finish_item(engine, t, t.algorithm in priority) for t in order}
    refits = Refits(best, priority, items)
    for n, trial in enumerate(order):
        engine.run.check()
        if _refit_one(engine, refits, blend, trial, order[n:]):
            engine.run.report(trial.algorithm, force=False)
    return refits


def _refit_one(
    engine: Engine, refits: Refits, blend: Blend | None, trial: Trial, ahead: list[Trial]
) -> bool:
    """Refit, keep or drop `trial` (False), re-planned with the time actually left: a refit
    starts only when it is predicted to end in time for the rest of the work."""
    run, ledger = engine.run, engine.run.ledger
    grace = REFIT_GRACE * run.budget
    name, item = trial.algorithm, refits.items[trial.algorithm]
    todo = [*refits.decided.values(), *refits.blend_work(blend)]
    todo += [refits.items[t.algorithm] for t in ahead]
    plan = plan_finish(todo, run.remaining(), grace)
    action = "refit" if trial.pipeline is None else plan.action(name)
    refits.fit_times[name] = trial.fit_time_s
    if action == "drop":
        ledger.decide(
            "finish",
            "dropped",
            f"{engine.label(name)}: left out of the leaderboard; scoring and saving it is "
            "predicted not to end within the time budget.",
            algorithm=name,
        )
        return False
    pipe, save = trial.pipeline, item.save_fold_s
    n_rows = len(engine.y)
    if action == "refit" and not trial.final:
        rest = plan.cost_s - item.refit_s
        must_end = run.budget + (grace if item.required else 0.0) - rest
        ledger.fit_started("refit", name, item.refit_s, must_end)
        t0 = time.monotonic()
        try:
            pipe = crossval.fit_trial(engine, trial, np.arange(n_rows))
        except (Cancelled, AutoMLError):
            raise
        except Exception as exc:  # one failing refit must not end the run
            logger.exception("Refitting %s failed", name)
            if trial.pipeline is None:
                run.log(
                    f"{engine.label(name)}: the refit failed and it is left out: {exc}", "warning"
                )
                return False
            run.log(
                f"{engine.label(name)}: the refit on all training rows failed ({exc}); the model "
                f"fitted on {trial.fold_rows} of the {n_rows} training rows is kept.",
                "warning",
            )
        else:
            refits.fit_times[name] = time.monotonic() - t0
            save = save_seconds(pipe)[0]
    elif not trial.final:
        ledger.decide(
            "refit",
            "skipped",
            f"{engine.label(name)}: kept the model fitted on {trial.fold_rows} of the {n_rows} "
            f"training rows; the refit is predicted to take {item.refit_s:.1f}s, more than "
            "the budget has left.",
            algorithm=name,
            predicted_s=round(item.refit_s, 2),
        )
    refits.fitted[name] = pipe
    refits.decided[name] = FinishItem(name, True, 0.0, item.score_s, save, save)
    return True
