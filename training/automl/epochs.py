"""Iterative algorithms (mlp, sgd, gradient_boosting) trained epoch by epoch: per-epoch metric
events, early stopping on fold 0's validation rows, then the kept epoch count on the other folds
and on all training rows. Public scikit-learn API only. Django-free.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.pipeline import Pipeline

from training.automl.scoring import aligned_proba, epoch_loss, epoch_metrics, predict_for_score
from training.automl.splits import capped_rows
from training.automl.trials import Engine, Trial
from training.budget import LOAD_MARGIN
from training.builder import TargetScaledRegressor

__all__ = [
    "ITERATIVE",
    "epoch_model",
    "PATIENCE",
    "EpochTrainer",
    "adam_learning_rate",
    "evaluate_iterative",
    "fit_epochs",
]

ITERATIVE = ("mlp", "sgd", "gradient_boosting")
# Epochs without a better validation loss before early stopping.
PATIENCE = 8


@dataclass
class _Fold0:
    """What the per-epoch training of fold 0 gave: its pipeline and how to repeat it."""

    pipeline: Pipeline
    epochs: list[dict[str, Any]]
    pred: np.ndarray
    n_epochs: int
    fold_s: float
    fold_rows: int


def evaluate_iterative(
    engine: Engine, algorithm: str, params: dict[str, Any], limit: float
) -> Trial:
    """Early-stop epoch by epoch on fold 0, then cross-validate that epoch count.

    Fold 0 runs the per-epoch trainer (metric events, early stopping on its validation
    rows); the other folds train the same configuration for the epoch count it kept, so the
    score is a k-fold out-of-fold score on the same folds as every other algorithm. Only
    fold 0's rows also chose the epoch count, a mild optimism limited to 1/k of the rows.
    """
    start = time.monotonic()
    deadline = start + max(limit, 0.5)
    k = len(engine.folds)
    # Leave room for the other folds, which train without per-epoch evaluation.
    share = 1.0 if k == 1 else 0.5
    first = _train_fold0(engine, algorithm, params, start + share * max(limit, 0.5))
    va = engine.folds[0][1]
    oof = engine.empty_oof()
    oof[va] = first.pred.reshape(len(va), -1)
    t0 = time.monotonic()
    predict_for_score(first.pipeline, engine.X.iloc[va[:1000]], engine.classes)
    predict_s = (time.monotonic() - t0) / max(min(len(va), 1000), 1)
    done, fold_s, fold_rows = _other_folds(engine, algorithm, params, first, oof, deadline)
    trial = engine.scored_trial(algorithm, params, oof, done, start)
    trial.pipeline, trial.fold_fit_s, trial.fold_rows = first.pipeline, fold_s, fold_rows
    trial.epochs, trial.n_epochs = first.epochs, first.n_epochs
    trial.predict_s_per_row = predict_s
    if len(done) < k:
        engine.run.ledger.decide(
            "search",
            "shortened",
            f"{engine.label(algorithm)}: cross-validated on {len(done)} of {k} folds (time).",
            algorithm=algorithm,
            folds=len(done),
        )
    engine.record(trial)
    return trial


def _train_fold0(engine: Engine, algorithm: str, params: dict[str, Any], deadline: float) -> _Fold0:
    """Epoch-by-epoch training on fold 0 until `deadline`, early stopping or max_epochs."""
    tr, va = engine.folds[0]
    pipe = engine.pipeline(algorithm, params)
    prep = Pipeline(pipe.steps[:-1]).set_output(transform="pandas")
    Xtr_raw, ytr = engine.rows(algorithm, tr)
    t0 = time.monotonic()
    Xtr = prep.fit_transform(Xtr_raw, ytr)
    prep_s = time.monotonic() - t0
    Xva = prep.transform(engine.X.iloc[va])
    trainer = EpochTrainer(engine, algorithm, epoch_model(pipe.steps[-1][1]))
    result = trainer.train((Xtr, ytr.to_numpy()), (Xva, engine.y_arr[va]), deadline)
    fitted = Pipeline([*prep.steps, ("model", result.model)]).set_output(transform="pandas")
    # A fit for the kept epoch count: the preprocessing, and the training time (without
    # the per-epoch evaluation) scaled to the epochs kept.
    fold_s = prep_s + trainer.fit_s * min(1.0, result.kept / max(trainer.trained, 1))
    return _Fold0(fitted, result.epochs, result.pred, result.kept, fold_s, len(Xtr))


def _other_folds(
    engine: Engine,
    algorithm: str,
    params: dict[str, Any],
    first: _Fold0,
    oof: np.ndarray,
    deadline: float,
) -> tuple[list[np.ndarray], float, int]:
    """Train the kept epoch count on folds 1.. while time allows; (folds done, last fold's
    seconds, its rows)."""
    done = [engine.folds[0][1]]
    fold_s, fold_rows = first.fold_s, first.fold_rows
    for tr_i, va_i in engine.folds[1:]:
        engine.run.check()
        left = min(deadline, engine.run.deadline) - time.monotonic()
        if left <= 0 or fold_s * LOAD_MARGIN > left:
            break
        t0 = time.monotonic()
        pipe_i = fit_epochs(engine, algorithm, params, tr_i, first.n_epochs)
        fold_s = time.monotonic() - t0
        fold_rows = capped_rows(algorithm, len(tr_i))
        pred_i = predict_for_score(pipe_i, engine.X.iloc[va_i], engine.classes)
        oof[va_i] = pred_i.reshape(len(va_i), -1)
        done.append(va_i)
    return done, fold_s, fold_rows


def fit_epochs(
    engine: Engine, algorithm: str, params: dict[str, Any], rows: np.ndarray, n_epochs: int
) -> Pipeline:
    """Fit an iterative algorithm on `rows` for a fixed number of epochs (no metrics);
    gradient_boosting's epochs are boosting stages."""
    pipe = engine.pipeline(algorithm, params)
    prep = Pipeline(pipe.steps[:-1]).set_output(transform="pandas")
    X_raw, y = engine.rows(algorithm, rows)
    Xt = prep.fit_transform(X_raw, y)
    y_arr = y.to_numpy()
    model = epoch_model(pipe.steps[-1][1])
    mean, scale = 0.0, 1.0
    if not engine.cls:
        mean, scale = float(np.mean(y_arr)), float(np.std(y_arr)) or 1.0
        y_arr = (y_arr - mean) / scale
    stable_step(model, Xt)
    if algorithm == "gradient_boosting":
        model.set_params(n_estimators=max(1, n_epochs))
        model.fit(Xt, y_arr)
    else:
        for _ in range(max(1, n_epochs)):
            if time.monotonic() >= engine.run.deadline:
                break
            if engine.cls:
                model.partial_fit(Xt, y_arr, classes=engine.classes)
            else:
                model.partial_fit(Xt, y_arr)
    if not engine.cls:
        model = TargetScaledRegressor.from_fitted(model, mean, scale)
    return Pipeline([*prep.steps, ("model", model)]).set_output(transform="pandas")


def epoch_model(model: Any) -> Any:
    """`model` ready to be trained epoch by epoch: `partial_fit` refuses an MLP's or SGD's own
    `early_stopping` (its validation slice), and the epochs stop early on the fold's
    validation rows instead (`AutoMLSettings.early_stopping`)."""
    if model.get_params(deep=False).get("early_stopping") is True and hasattr(model, "partial_fit"):
        model.set_params(early_stopping=False)
    return model


def stable_step(model: Any, X: pd.DataFrame) -> float | None:
    """Lower an SGD model's step `eta0` to 1 / (largest squared row norm of `X`) when it is
    above it, and return the new step (None when unchanged). One SGD update on a row x shrinks
    the error only while the step times |x|^2 stays below 2 (squared loss; log loss is flatter),
    so one long row (a rare large value, many one-hot columns) makes a fixed step diverge: on
    the Ames houses eta0 = 0.05 ended at an RMSE of 1e17, and a bound from the mean row still
    at 9e6."""
    if not isinstance(model, (SGDClassifier, SGDRegressor)) or model.learning_rate == "optimal":
        return None
    values = np.asarray(X, dtype="float64")
    norm = float(np.max(np.sum(values * values, axis=1))) if values.size else 0.0
    # Log loss curves at most a quarter as much as squared loss, so its bound is four times wider.
    limit = (4.0 if isinstance(model, SGDClassifier) else 1.0) / norm if norm > 0 else math.inf
    if not np.isfinite(limit) or model.eta0 <= limit:
        return None
    model.set_params(eta0=limit)
    return limit


def adam_learning_rate(model: Any, n_rows: int) -> float:
    """The step size Adam used in an MLP's last update, from public attributes only.

    Adam scales `learning_rate_init` by sqrt(1 - beta_2**t) / (1 - beta_1**t) after its t-th
    update; an epoch of `partial_fit` on `n_rows` rows makes one update per minibatch
    (`batch_size`, "auto" = min(200, rows)), and `t_` counts the rows seen.
    """
    size = model.batch_size
    batch = min(200, n_rows) if size == "auto" else int(np.clip(size, 1, n_rows))
    epochs_done = int(round(getattr(model, "t_", 0) / max(n_rows, 1)))
    t = epochs_done * math.ceil(n_rows / batch)
    if t == 0:
        return float(model.learning_rate_init)
    b1, b2 = model.beta_1, model.beta_2
    return float(model.learning_rate_init * np.sqrt(1 - b2**t) / (1 - b1**t))


@dataclass
class EpochResult:
    """The kept model, the per-epoch records, its validation predictions and how much training
    it had (epochs; boosting stages for gradient_boosting)."""

    model: Any
    epochs: list[dict[str, Any]]
    pred: np.ndarray
    kept: int


@dataclass
class _Best:
    """The best epoch so far (lowest validation loss)."""

    loss: float = math.inf
    epoch: int = 0
    model: Any = None
    pred: np.ndarray | None = None
    stages: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)


class EpochTrainer:
    """Trains mlp/sgd with partial_fit and gradient_boosting stage by stage, with early stopping."""

    def __init__(self, engine: Engine, algorithm: str, model: Any):
        self.e = engine
        self.algorithm = algorithm
        self.model = model
        self.gb = algorithm == "gradient_boosting"
        self.trained = 0  # epochs (boosting stages for gradient_boosting) actually trained
        self.fit_s = 0.0  # seconds spent in fit/partial_fit alone
        self.mean, self.scale = 0.0, 1.0
        self.n_rows = 0

    def _predict(self, model: Any, X: pd.DataFrame) -> np.ndarray:
        if self.e.classes is not None:
            return aligned_proba(model, X, self.e.classes)
        return np.asarray(model.predict(X), dtype="float64") * self.scale + self.mean

    def _learning_rate(self, model: Any) -> float | None:
        if self.algorithm == "mlp":
            if getattr(model, "solver", "adam") == "adam":
                return adam_learning_rate(model, self.n_rows)
            return float(model.learning_rate_init)
        if self.gb:
            return float(model.learning_rate)
        t = float(getattr(model, "t_", 1.0))
        if model.learning_rate == "invscaling":
            return float(model.eta0 / t**model.power_t)
        if model.learning_rate == "optimal":
            return None
        return float(model.eta0)

    def train(
        self,
        train: tuple[pd.DataFrame, np.ndarray],
        valid: tuple[pd.DataFrame, np.ndarray],
        deadline: float,
    ) -> EpochResult:
        """Run epochs until max_epochs, early stopping, the deadline or a stop request.

        With early stopping the model of the best epoch is kept, otherwise the last one; the
        same amount of training can then be repeated on other folds and on all training rows.
        """
        e, run = self.e, self.e.run
        Xtr, ytr = train
        self.n_rows = len(ytr)
        if not e.cls:
            self.mean, self.scale = float(np.mean(ytr)), float(np.std(ytr)) or 1.0
        y_fit = ytr if e.cls else (ytr - self.mean) / self.scale
        sample = np.sort(
            np.random.default_rng(e.seed).choice(len(ytr), min(len(ytr), 2000), replace=False)
        )
        total = int(self.model.n_estimators) if self.gb else 0
        n_epochs = min(e.settings.max_epochs, total) if self.gb else e.settings.max_epochs
        per_epoch = math.ceil(total / n_epochs) if self.gb else 0
        if self.gb:
            self.model.set_params(warm_start=True)
        step = stable_step(self.model, Xtr)
        if step is not None:
            run.log(
                f"{e.label(self.algorithm)}: step eta0 lowered to {step:.3g} (one over the largest "
                "squared row norm), so that its epochs cannot diverge."
            )
        best, epochs = _Best(), []
        last_epoch_s, stale, last_pred = 0.0, 0, None
        for epoch in range(1, n_epochs + 1):
            run.check()
            epoch_start = time.monotonic()
            # An epoch is not started when it is predicted to end after the deadline.
            if epoch > 1 and epoch_start + last_epoch_s >= min(deadline, run.deadline):
                run.ledger.decide(
                    "search",
                    "shortened",
                    f"{e.label(self.algorithm)}: stopped at epoch {epoch - 1} (time budget).",
                    algorithm=self.algorithm,
                    epochs=epoch - 1,
                )
                break
            self._step(Xtr, y_fit, min(total, epoch * per_epoch) if self.gb else epoch)
            last_epoch_s = time.monotonic() - epoch_start
            row = self._record(epoch, (Xtr.iloc[sample], ytr[sample]), valid)
            epochs.append(row)
            last_pred = row.pop("_val_pred")
            stale = self._keep_best(best, row["val_loss"], epoch, last_pred, stale)
            if e.settings.early_stopping and stale >= PATIENCE:
                run.log(
                    f"{e.label(self.algorithm)}: early stop at epoch {epoch}; "
                    f"best epoch {best.epoch}."
                )
                break
        return self._result(best, epochs, last_pred)

    def _step(self, X: pd.DataFrame, y: np.ndarray, trained: int) -> None:
        """One epoch: `trained` boosting stages in all, or one partial_fit pass."""
        t0 = time.monotonic()
        if self.gb:
            self.model.set_params(n_estimators=trained)
            self.model.fit(X, y)
        elif self.e.cls:
            self.model.partial_fit(X, y, classes=self.e.classes)
        else:
            self.model.partial_fit(X, y)
        self.fit_s += time.monotonic() - t0
        self.trained = trained

    def _record(
        self,
        epoch: int,
        sample: tuple[pd.DataFrame, np.ndarray],
        valid: tuple[pd.DataFrame, np.ndarray],
    ) -> dict[str, Any]:
        """The epoch's losses and metrics (sent as a metric event), with its validation
        predictions under `_val_pred`."""
        e, classes = self.e, self.e.classes
        train_pred = self._predict(self.model, sample[0])
        val_pred = self._predict(self.model, valid[0])
        scale2 = 1.0 if e.cls else self.scale**2
        row = {
            "epoch": epoch,
            "train_loss": epoch_loss(sample[1], train_pred, classes) / scale2,
            "val_loss": epoch_loss(valid[1], val_pred, classes) / scale2,
            "train_metrics": epoch_metrics(sample[1], train_pred, classes),
            "val_metrics": epoch_metrics(valid[1], val_pred, classes),
            "learning_rate": self._learning_rate(self.model),
        }
        e.run.epoch = epoch
        e.run.on_event("metric", {**row, "algorithm": self.algorithm})
        e.run.report(self.algorithm, force=False)
        return {**row, "_val_pred": val_pred}

    def _keep_best(self, best: _Best, loss: float, epoch: int, pred: np.ndarray, stale: int) -> int:
        """Remember the epoch when its validation loss is clearly lower; the new stale count."""
        if not math.isfinite(loss):
            loss = math.inf
        margin = max(1e-4, 1e-3 * abs(best.loss) if math.isfinite(best.loss) else 0)
        if loss < best.loss - margin:
            best.loss, best.epoch, best.pred = loss, epoch, pred
            best.model, best.stages = copy.deepcopy(self.model), self.trained
            return 0
        if best.pred is None:
            best.pred, best.epoch = pred, epoch
            if self.gb:
                best.model, best.stages = copy.deepcopy(self.model), self.trained
        return stale + 1

    def _result(
        self, best: _Best, epochs: list[dict[str, Any]], last_pred: np.ndarray | None
    ) -> EpochResult:
        model, kept, pred = self.model, len(epochs), last_pred
        if self.e.settings.early_stopping:
            kept, pred = best.epoch, best.pred
            if best.model is not None:
                model = best.model
        if self.gb:
            # The kept model holds exactly the stages trained by its epoch (a copy taken then).
            kept = best.stages if model is best.model else self.trained
            model.set_params(warm_start=False)
        if not self.e.cls:
            model = TargetScaledRegressor.from_fitted(model, self.mean, self.scale)
        if pred is None:  # every run trains at least one epoch (or is cancelled)
            raise RuntimeError(f"{self.algorithm}: no epoch was trained.")
        return EpochResult(model, epochs, pred, kept)
