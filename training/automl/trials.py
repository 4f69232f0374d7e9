"""The state of the search: one `Trial` per evaluated configuration, and the `Engine` that holds
the training rows, the folds and the trials so far. Django-free.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from modeling.catalog import ALGORITHMS, display_name
from modeling.metrics import readable
from training.automl.inputs import Inputs
from training.automl.ranking import RankKey, rank_key
from training.automl.run import Run
from training.automl.scoring import fold_spread, oof_score
from training.automl.settings import AutoMLSettings
from training.automl.splits import Folds, cap_rows
from training.builder import build_pipeline
from training.labels import label_key

__all__ = ["Engine", "Trial", "early_stopping_blocker", "early_stopping_off", "short_params"]


@dataclass
class Trial:
    """One evaluated configuration."""

    algorithm: str
    params: dict[str, Any]
    cv_value: float | None  # primary metric, raw (auc / rmse)
    key: RankKey  # rank key from `ranking.rank_key`, greater is better
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

    @property
    def full(self) -> bool:
        """Whether the trial was scored on every fold."""
        return self.oof is not None


def short_params(params: dict[str, Any], algorithm: str = "") -> str:
    """`{a=1, b=0.1234}`: a configuration as the log shows it (fractions rounded); given its
    algorithm, a value that stands for something is said in words as the catalogue means it
    (`max_depth=0 (no limit)`)."""
    if not params:
        return "{}"
    spec = ALGORITHMS.get(algorithm)
    known = {p.name: p for p in spec.hyperparameters} if spec else {}

    def shown(name: str, value: Any) -> str:
        text = f"{name}={readable(value) if isinstance(value, float) else value}"
        meaning = known[name].meaning(value) if name in known else ""
        return f"{text} ({meaning})" if meaning else text

    return "{" + ", ".join(shown(k, v) for k, v in params.items()) + "}"


def _validation_share(model: Any, n_rows: int) -> float | None:
    """The share of its training rows `model` holds back (stratified by class for a classifier)
    to stop early on, or None when it holds none back: HistGradientBoosting and MLP/SGD with
    `early_stopping` ("auto": above 10,000 rows), GradientBoosting with `n_iter_no_change`."""
    params = model.get_params(deep=False)
    share = params.get("validation_fraction")
    if not share:
        return None
    if "early_stopping" in params:
        on = params["early_stopping"]
        active = on is True or (on == "auto" and n_rows > 10_000)
    else:
        active = params.get("n_iter_no_change") is not None
    return float(share) if active else None


def early_stopping_blocker(model: Any, y: pd.Series) -> str | None:
    """Why `model` could not draw its stratified early-stopping slice from the labels `y` (a
    phrase naming the class by its label), or None when it can or draws none."""
    share = _validation_share(model, len(y))
    if share is None:
        return None
    counts = y.value_counts()
    rare = counts[counts < 2]
    if len(rare):
        label, count = rare.index[0], int(rare.iloc[0])
        return f"class {label_key(label)!r} has {count} training row (2 are needed)"
    n_valid = math.ceil(share * len(y))
    if n_valid < len(counts) or len(y) - n_valid < len(counts):
        return (
            f"a {share:.0%} validation slice of {len(y)} rows cannot hold each of the "
            f"{len(counts)} classes"
        )
    return None


def early_stopping_off(model: Any) -> dict[str, Any]:
    """The parameters that turn `model`'s internal early stopping off."""
    if "early_stopping" in model.get_params(deep=False):
        return {"early_stopping": False}
    return {"n_iter_no_change": None}


class Engine:
    """The training rows, their folds and the trials evaluated on them during one run."""

    def __init__(
        self, run: Run, settings: AutoMLSettings, data: Inputs, folds: Folds, n_test: int = 0
    ):
        self.run = run
        self.settings = settings
        self.X = data.X
        self.y = data.y
        self.y_arr = data.y.to_numpy()
        self.schema = data.schema
        self.features = data.features
        self.folds = folds
        self.problem_type = settings.problem_type
        self.seed = settings.random_state
        self.cls = settings.is_classification
        self.classes = np.unique(self.y_arr) if self.cls else None
        self.trials: list[Trial] = []
        self.best_by_algo: dict[str, Trial] = {}
        # Per algorithm: seconds of one fold (fit and predict) and the `cost_size` it had.
        self.fold_time: dict[str, tuple[float, float]] = {}
        self.n_test = n_test  # hold-out rows, for the predicted scoring time
        self.oof_scores: list[float] = []  # seconds of each out-of-fold scoring (for the blend)
        self.oof_rows = np.sort(np.concatenate([va for _, va in folds]))
        self.rare_class_logged: set[str] = set()  # algorithms whose early stopping was turned off

    def label(self, algorithm: str) -> str:
        """`algorithm` as log lines name it: its display name for this run's problem type
        ("Ridge regression" for a regression "linear"); events and records keep the key."""
        return display_name(algorithm, self.problem_type)

    def pipeline(self, algorithm: str, params: dict[str, Any]) -> Pipeline:
        """An unfitted pipeline of `algorithm` with `params` on this run's columns."""
        s = self.settings
        return build_pipeline(
            df_schema=self.schema,
            target=s.target,
            problem_type=s.problem_type,
            algorithm=algorithm,
            hyperparameters=params,
            preprocessing_config=s.preprocessing,
            feature_columns=self.features,
            random_state=self.seed,
            feature_config=s.features,
        )

    def rows(self, algorithm: str, rows: np.ndarray) -> tuple[pd.DataFrame, pd.Series]:
        """The training rows at `rows`, capped for slow algorithms (`splits.ROW_CAPS`)."""
        X, y = self.X.iloc[rows], self.y.iloc[rows]
        return cap_rows(X, y, algorithm, self.problem_type, self.seed)

    def fit(self, pipe: Pipeline, algorithm: str, rows: np.ndarray) -> Pipeline:
        """`pipe` fitted on the training rows at `rows` (capped), without the model's own early
        stopping when its stratified validation slice cannot be drawn from them (a rare class)."""
        X, y = self.rows(algorithm, rows)
        if self.cls:
            self._fit_rare_classes(pipe.steps[-1][1], algorithm, y)
        return pipe.fit(X, y)

    def _fit_rare_classes(self, model: Any, algorithm: str, y: pd.Series) -> None:
        """Turn off `model`'s internal early stopping when the validation slice it would draw,
        stratified by class, needs more rows of some class than `y` has (the first time for an
        algorithm, logged with the class's label)."""
        why = early_stopping_blocker(model, y)
        if why is None:
            return
        model.set_params(**early_stopping_off(model))
        if algorithm not in self.rare_class_logged:
            self.rare_class_logged.add(algorithm)
            self.run.log(
                f"{self.label(algorithm)}: early stopping is off in fits where {why}: its "
                "validation slice is drawn by class, so those fits run every iteration.",
                "warning",
            )

    def empty_oof(self) -> np.ndarray:
        """An out-of-fold prediction matrix with no rows scored yet."""
        width = len(self.classes) if self.classes is not None else 1
        return np.full((len(self.y), width), np.nan)

    def scored_trial(
        self,
        algorithm: str,
        params: dict[str, Any],
        oof: np.ndarray,
        done: list[np.ndarray],
        start: float,
    ) -> Trial:
        """A trial scored on the out-of-fold rows of the `done` folds."""
        rows = np.sort(np.concatenate(done))
        flat = oof if self.cls else oof[:, 0]
        t0 = time.monotonic()
        value, raw_key = oof_score(self.y_arr[rows], flat[rows], self.classes)
        self.oof_scores.append(time.monotonic() - t0)
        spread = fold_spread(self.y_arr, flat, done, self.classes)
        complete = len(done) == len(self.folds)
        return Trial(
            algorithm=algorithm,
            params=params,
            cv_value=value,
            key=rank_key(algorithm, value, raw_key, spread, self.cls),
            oof=flat if complete else None,
            fit_time_s=time.monotonic() - start,
            spread=spread,
        )

    def record(self, trial: Trial) -> None:
        """Keep `trial`, the best of its algorithm when it ranks higher, and log its score."""
        self.trials.append(trial)
        current = self.best_by_algo.get(trial.algorithm)
        if current is None or (trial.full, trial.key) > (current.full, current.key):
            self.best_by_algo[trial.algorithm] = trial
        self.run.offer(trial.cv_value)
        value = "n/a" if trial.cv_value is None else readable(trial.cv_value)
        name, _ = self.settings.metric
        shown = short_params(trial.params, trial.algorithm)
        self.run.log(f"{self.label(trial.algorithm)} {shown}: cv {name} {value}.")
        self.run.report(trial.algorithm)

    def ranked(self) -> list[Trial]:
        """The best trial of each algorithm, best first."""
        return sorted(self.best_by_algo.values(), key=lambda t: t.key, reverse=True)
