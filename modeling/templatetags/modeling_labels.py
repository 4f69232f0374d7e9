"""Template filters that name algorithms and metrics for people: the catalogue's display names,
metric names such as "AUC" or "MASE" and which direction of a metric is better."""

from __future__ import annotations

from typing import Any

from django import template

from modeling.metrics import lower_is_better
from pipelines.models import Pipeline

register = template.Library()

_METRIC_NAMES = {
    "auc": "AUC", "roc_auc": "AUC", "accuracy": "Accuracy", "f1": "F1", "f1_macro": "F1 (macro)",
    "f1_weighted": "F1 (weighted)", "precision": "Precision", "recall": "Recall",
    "log_loss": "Log loss", "balanced_accuracy": "Balanced accuracy", "r2": "R²",
    "rmse": "RMSE", "mae": "MAE", "mse": "MSE", "mape": "MAPE", "smape": "sMAPE",
    "mase": "MASE", "rmsle": "RMSLE", "wape": "WAPE", "cv_score": "Validation score",
}  # fmt: skip


@register.filter
def algorithm_label(name: Any) -> str:
    """The catalogue's display name of algorithm `name` ("Histogram gradient boosting")."""
    from modeling.catalog import ALGORITHMS

    key = str(name or "")
    spec = ALGORITHMS.get(key)
    if spec is not None:
        return spec.display_name
    if key == "blend":
        return "Weighted blend"
    return key.replace("_", " ").capitalize()


@register.filter
def metric_label(name: Any) -> str:
    """A metric's usual written name ("auc" -> "AUC", "mase" -> "MASE")."""
    key = str(name or "")
    return _METRIC_NAMES.get(key.lower(), key.replace("_", " ").upper() if len(key) <= 5 else key)


@register.filter
def metric_direction(name: Any) -> str:
    """ "lower is better" or "higher is better" for metric `name`."""
    return "lower is better" if lower_is_better(name) else "higher is better"


@register.filter
def rank_score(model: Any) -> float | None:
    """The score a trained model was ranked by: its validation (cross-validation) score for a
    tabular model, its backtest score for a forecaster (stored as the primary value)."""
    if getattr(model, "problem_type", "") == Pipeline.ProblemType.FORECASTING:
        return model.primary_value
    value = (getattr(model, "metrics", None) or {}).get("cv_score")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_PARAM_LABELS = {
    "n_estimators": "Number of trees", "max_depth": "Maximum depth",
    "min_samples_leaf": "Minimum rows per leaf", "max_features": "Features tried per split",
    "max_leaf_nodes": "Maximum leaves per tree", "learning_rate": "Learning rate",
    "learning_rate_init": "Initial learning rate", "l2_regularization": "L2 regularisation",
    "l1_ratio": "L1 ratio", "max_iter": "Maximum iterations", "subsample": "Row subsample",
    "bootstrap": "Bootstrap samples", "criterion_cls": "Split criterion",
    "target_transform": "Target transform", "n_neighbors": "Neighbours", "weights": "Weighting",
    "p": "Distance power (p)", "C": "Regularisation inverse (C)", "kernel": "Kernel",
    "gamma": "Kernel width (gamma)", "epsilon": "Tube width (epsilon)", "alpha": "Alpha",
    "activation": "Activation", "batch_size": "Batch size", "early_stopping": "Early stopping",
    "eta0": "Initial step (eta0)", "penalty": "Penalty", "hidden_layers": "Hidden layers",
    "season_length": "Season length", "max_p": "Maximum p", "max_q": "Maximum q",
    "max_P": "Maximum seasonal P", "max_Q": "Maximum seasonal Q", "damped": "Damped trend",
    "size": "Members", "combine": "Combine by", "max_lag": "Longest lag",
    "differencing": "Differencing",
}  # fmt: skip


@register.filter
def param_label(name: Any) -> str:
    """A hyperparameter's label in forms ("n_estimators" -> "Number of trees")."""
    key = str(name or "")
    return _PARAM_LABELS.get(key, key.replace("_", " ").capitalize())


# Hyperparameters whose 0 (or empty) value stands for a rule rather than a number.
_ZERO_MEANS = {
    "max_depth": "unlimited",
    "season_length": "detected from the data",
    "max_lag": "from the frequency",
}


@register.filter
def param_value(value: Any, name: Any) -> Any:
    """A hyperparameter's value as a reader should see it: `{{ v|param_value:k }}` shows
    "unlimited" for a depth of 0, not 0."""
    meaning = _ZERO_MEANS.get(str(name or ""))
    if meaning and (value is None or (value == 0 and not isinstance(value, bool))):
        return meaning
    return value


@register.filter
def model_name(model: Any) -> str:
    """How people know a trained model: its rank, algorithm and pipeline
    ("#1 Random forest of pipeline Churn"), not its id."""
    pipeline = getattr(model, "pipeline", None)
    name = f"#{model.rank} {algorithm_label(model.algorithm)}"
    return f"{name} of pipeline {pipeline.name}" if pipeline is not None else name
