"""The search after the portfolio: random, grid or bayesian (optuna TPE) proposals for the two
leading algorithms while the time the budget leaves lasts. Django-free.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from modeling import catalog
from training.automl import crossval
from training.automl.epochs import ITERATIVE
from training.automl.planning import reserve
from training.automl.trials import Engine, Trial

__all__ = ["SEARCH_SPACE", "Searcher", "run_search", "search_fixed"]

# Narrower ranges for the automatic search ("float"/"int": low, high, log; "cat": choices).
SEARCH_SPACE: dict[str, dict[str, tuple[Any, ...]]] = {
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
# Caps of catalogue ranges in a derived search space (cost).
_COST_CAPS = {"n_estimators": 300, "max_iter": 1000}


class Searcher:
    """Proposes configurations for one algorithm: random, grid or bayesian (optuna TPE)."""

    def __init__(self, algorithm: str, method: str, seed: int, user: dict[str, Any] | None):
        self.algorithm = algorithm
        self.method = method
        self.rng = np.random.default_rng(seed)
        self.user = dict(user or {})
        self.space = self._space()
        self._grid: list[dict[str, Any]] | None = None
        self._study: Any = None
        self._trial: Any = None
        if method == "bayesian" and self.space:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
            self._study = optuna.create_study(direction="maximize", sampler=sampler)

    def _space(self) -> dict[str, tuple[Any, ...]]:
        spec = catalog.get_algorithm(self.algorithm)
        known = {p.name: p for p in spec.hyperparameters}
        custom = SEARCH_SPACE.get(self.algorithm)
        if custom:
            return {k: v for k, v in custom.items() if k in known}
        space: dict[str, tuple[Any, ...]] = {}
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

    def _sample(self, dim: tuple[Any, ...]) -> Any:
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

    def _optuna_params(self) -> dict[str, Any]:
        import optuna

        dists: dict[str, Any] = {}
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
        return dict(self._trial.params)

    def propose(self) -> dict[str, Any] | None:
        """The next configuration, or None when the space is exhausted."""
        if not self.space:
            return None
        if self.method == "grid":
            if self._grid is None:
                self._grid = self._grid_points()
            return {**self.user, **self._grid.pop(0)} if self._grid else None
        if self._study is not None:
            return {**self.user, **self._optuna_params()}
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


def search_fixed(best: Trial, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """The values every search proposal keeps: the user's, plus the target transform and input
    clipping that scored best for the algorithm (the search then tunes the trees for that target
    scale, a linear model for those inputs)."""
    fixed = dict(given or {})
    for name in ("target_transform", "clip_inputs"):
        if name in best.params:
            fixed.setdefault(name, best.params[name])
    return fixed or None


def _searchers(engine: Engine) -> dict[str, Searcher]:
    """One searcher per searchable algorithm: measured, not iterative, not user-set unless a
    search was asked for, and none at all once the portfolio was stopped by the budget."""
    s = engine.settings
    user = s.user_params
    stopped = any(d["action"] == "stopped" for d in engine.run.ledger.decisions)
    searchable = [
        a
        for a in s.algorithm_names
        if a not in ITERATIVE
        and (a not in user or s.tunes_user_params)
        and a in engine.best_by_algo
        and not stopped
    ]
    return {
        a: Searcher(
            a,
            s.search_method,
            s.random_state + i,
            search_fixed(engine.best_by_algo[a], user.get(a)),
        )
        for i, a in enumerate(searchable)
    }


def run_search(engine: Engine) -> int:
    """Search while time remains (and up to the asked number of configurations), alternating
    between the two leading algorithms; the number of configurations tried."""
    run, s = engine.run, engine.settings
    search_end = run.deadline
    if s.search_time_s:
        search_end = min(search_end, run.now() + s.search_time_s)
    searchers = _searchers(engine)
    done = 0
    while searchers and (s.search_n_iter is None or done < s.search_n_iter):
        left = _search_time_left(engine, search_end)
        if left is None:
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
        trial = crossval.evaluate(engine, algorithm, params, left)
        done += 1
        if trial is None:
            searchers.pop(algorithm)
            continue
        searchers[algorithm].tell(trial.key[0])
    if done:
        plural = "" if done == 1 else "s"
        run.log(f"Search ({s.search_method}) tried {done} configuration{plural}.")
    return done


def _search_time_left(engine: Engine, search_end: float) -> float | None:
    """Seconds the next configuration may take, or None when the search must stop (its own
    limit, or only the reserved time is left: logged)."""
    run = engine.run
    reserved = reserve(engine)
    left = min(run.remaining(), search_end - run.now()) - reserved
    if left <= 0.0 and run.remaining() - reserved > 0.0:
        return None  # the search's own time limit
    if left <= 0.0:
        run.ledger.decide(
            "search",
            "stopped",
            f"Search stopped with {max(run.remaining(), 0.0):.1f}s left, kept for "
            "refitting, scoring and saving the best models.",
            "info",
            reserved_s=round(reserved, 2),
        )
        return None
    return left
