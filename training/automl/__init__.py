"""Tabular AutoML: train, tune and rank classification/regression models within a time budget.

How a run goes (all fitting on training rows only; the hold-out is touched only for test metrics),
one module per phase:

1. `settings`: the typed `AutoMLSettings`, validated once; `inputs`: the data checked against
   them. `splits`: the hold-out (`validation_split`; stratified for classification) and the
   validation folds of the training rows (k-fold CV on small data, one inner hold-out slice on
   large data, or `cv_folds` folds when `cross_validation`).
2. `portfolio`: known-good configurations, cheapest and strongest first, each scored out of fold
   (`crossval`). Iterative algorithms (mlp, sgd, gradient_boosting) train epoch by epoch with
   early stopping on fold 0 (`epochs`: per-epoch metric events), then the kept epoch count is
   trained on the other folds, so they get the same out-of-fold score on the same folds as every
   other algorithm. Regression targets that are non-negative and skewed also get log1p(target)
   candidates, kept only when their CV RMSE on the original scale is better.
3. `search`: random by default; grid or bayesian via optuna when asked, while time remains.
4. `ensemble`: greedy ensemble selection over the best configuration of each algorithm, on the
   out-of-fold predictions; the blend is a candidate of its own when it scores better.
5. `refit`: the winners refit on all training rows (the rank-1 model and the blend members
   first); `finish`: hold-out scores, importances (`importance`) and the leaderboard
   (`candidates`, ordered by `ranking`). The whole job ends within the budget (`planning`,
   `training.budget`): the search keeps back the predicted refits, hold-out scoring and saving
   of the leading models, and before each refit the rest is re-planned with the time actually
   left; each decision the budget forces is a log event.

Candidates are ranked by their out-of-fold (CV) score, so the choice never looks at the hold-out;
a score from only some folds ranks after the fully cross-validated ones; scores within a small
tolerance are ties, broken by the smaller spread over the folds and then by a fixed preference for
simpler, more stable algorithms. `primary_value` and `test_metrics` are hold-out figures.
`engine.run_automl` is the entry point. Django-free.
"""

from training.automl.candidates import CandidateResult
from training.automl.engine import run_automl
from training.automl.settings import AutoMLError, AutoMLSettings, Cancelled
from training.automl.splits import holdout_split, make_folds

__all__ = [
    "AutoMLError",
    "AutoMLSettings",
    "CandidateResult",
    "Cancelled",
    "holdout_split",
    "make_folds",
    "run_automl",
]
