"""Template filters that name algorithms and metrics for people: the catalogue's display names,
metric names such as "AUC" or "MASE" and which direction of a metric is better."""

from __future__ import annotations

import functools
from typing import Any

from django import template

from modeling.hyperparams import HyperParam
from modeling.metrics import lower_is_better, readable, readable_column
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
def algorithm_label(name: Any, problem_type: Any = None) -> str:
    """The name people know algorithm `name` by ("Histogram gradient boosting"). Given the
    problem type of a trained model, `{{ m.algorithm|algorithm_label:m.problem_type }}`, an
    algorithm that is one thing per problem type is named as that ("Ridge regression", not
    "Linear model (logistic / ridge)")."""
    from modeling.catalog import display_name

    return display_name(name, problem_type)


@register.filter
def algorithm_description(name: Any, problem_type: Any = None) -> str:
    """What algorithm `name` is, said for `problem_type` where the catalogue's sentence covers
    two (`{{ spec.name|algorithm_description:pipeline.problem_type }}` on a classification
    pipeline: logistic regression's sentence, not "..., ridge regression for numbers");
    "" for a name the catalogue does not know."""
    from modeling.catalog import ALGORITHMS

    spec = ALGORITHMS.get(str(name or ""))
    return "" if spec is None else spec.description_for(str(problem_type or ""))


# Metrics stored as percentages (12.5 means 12.5 %; see modeling.metrics).
_PERCENT_METRICS = frozenset({"mape", "smape"})


@register.filter
def metric_label(name: Any) -> str:
    """A metric's usual written name ("auc" -> "AUC", "mase" -> "MASE", "coverage_80" ->
    "80% interval coverage")."""
    key = str(name or "")
    level = _coverage_level(key)
    if level is not None:
        return f"{level}% interval coverage"
    return _METRIC_NAMES.get(key.lower(), key.replace("_", " ").upper() if len(key) <= 5 else key)


def _coverage_level(name: str) -> str | None:
    """ "80" for "coverage_80" (the share of actual values inside the 80% interval), else None."""
    prefix, _, level = name.partition("_")
    return level if prefix == "coverage" and level.isdigit() else None


@register.filter
def metric_value(value: Any, name: Any) -> str:
    """A score as the page shows it: rounded (`modeling.metrics.readable`), MAPE and sMAPE
    with "%" (they are stored as percentages), an interval coverage (stored as a fraction) as a
    percentage: `{{ value|metric_value:"coverage_80" }}` -> "86.1%"."""
    key = str(name or "").lower()
    if _coverage_level(key) is not None and isinstance(value, (int, float)):
        return f"{readable(value * 100, 3)}%"
    text = readable(value)
    if key in _PERCENT_METRICS and text != "–":
        return f"{text}%"
    return text


@register.filter
def number(value: Any, digits: Any = 4) -> str:
    """A number rounded for people (`modeling.metrics.readable`): `{{ 0.8710974|number }}` ->
    "0.8711", `{{ 72616.68|number }}` -> "72,617"; text other than a number is left as it is."""
    try:
        places = int(digits)
    except (TypeError, ValueError):
        places = 4
    return readable(value, places)


@register.filter
def predicted(value: Any, problem_type: Any = "") -> Any:
    """A prediction as the page shows it: `{{ p|predicted:model.problem_type }}` rounds a
    regression's value (`readable`: 253409.01582439747 -> "253,409"); a class label, whatever its
    type, is shown exactly as it is."""
    if problem_type != Pipeline.ProblemType.CLASSIFICATION and isinstance(value, float):
        return readable(value)
    return value


def metric_column(values: Any, name: Any) -> list[str]:
    """A column of scores of metric `name` as a table shows them: one number format for the
    whole column (`modeling.metrics.readable_column`), with "%" for MAPE and sMAPE and interval
    coverage as a percentage, as `metric_value` writes one score."""
    key = str(name or "").lower()
    values = list(values)
    if _coverage_level(key) is not None:
        scaled = [v * 100 if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                  for v in values]  # fmt: skip
        return [t if t == "–" else f"{t}%" for t in readable_column(scaled, 3)]
    texts = readable_column(values)
    if key in _PERCENT_METRICS:
        return [t if t == "–" else f"{t}%" for t in texts]
    return texts


@register.filter
def metric_score(value: Any, name: Any) -> str:
    """A score with its metric's name: `{{ 0.847|metric_score:"auc" }}` -> "AUC 0.847"."""
    return f"{metric_label(name)} {metric_value(value, name)}"


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
    "target_transform": "Target transform", "clip_inputs": "Clip inputs (1st-99th percentile)",
    "n_neighbors": "Neighbours", "weights": "Weighting",
    "p": "Distance power (p)", "C": "Regularisation inverse (C)", "kernel": "Kernel",
    "gamma": "Kernel width (gamma)", "epsilon": "Tube width (epsilon)", "alpha": "Alpha",
    "activation": "Activation", "batch_size": "Batch size", "early_stopping": "Early stopping",
    "eta0": "Initial step (eta0)", "penalty": "Penalty", "hidden_layers": "Hidden layers",
    "season_length": "Season length", "max_p": "Maximum p", "max_q": "Maximum q",
    "max_P": "Maximum seasonal P", "max_Q": "Maximum seasonal Q", "damped": "Damped trend",
    "size": "Members", "combine": "Combine by", "max_lag": "Longest lag",
    "differencing": "Differencing", "model": "Components (error, trend, season)",
    "max_length": "Most recent points fitted", "tolerance": "Tolerance",
    "decomposition_type": "Decomposition type", "hidden_layer_sizes": "Hidden layer sizes",
    "alpha_d": "Smoothing of demand sizes", "alpha_p": "Smoothing of demand probability",
}  # fmt: skip


@register.filter
def param_label(name: Any) -> str:
    """A hyperparameter's label in forms ("n_estimators" -> "Number of trees")."""
    key = str(name or "")
    return _PARAM_LABELS.get(key, key.replace("_", " ").capitalize())


@functools.cache
def _zero_meaning_params() -> dict[str, HyperParam]:
    """Each hyperparameter name whose 0 (or empty) value stands for a rule rather than a number,
    with its catalogue entry (`HyperParam.zero_means`): the one wording the job logs use too."""
    from modeling.catalog import ALGORITHMS

    params: dict[str, HyperParam] = {}
    for spec in ALGORITHMS.values():
        for param in spec.hyperparameters:
            if param.zero_means:
                params.setdefault(param.name, param)
    return params


# The letters of an exponential smoothing (ETS) model: error, trend and season components.
_ETS_PARTS = ("error", "trend", "season")
_ETS_LETTERS = {"Z": "chosen automatically", "A": "additive", "M": "multiplicative", "N": "none"}


def ets_components(code: Any) -> str | None:
    """What an ETS code says, component by component: "AAN" -> "error additive, trend additive,
    season none"; "ZZZ" -> "error, trend and season each chosen automatically"; None for text
    that is not such a code. A damped trend is written "Ad"."""
    text = str(code or "")
    letters = [text[0:1], text[1:3] if text[1:3] == "Ad" else text[1:2]]
    letters.append(text[len(letters[0]) + len(letters[1]) :])
    if any(not part for part in letters) or not all(
        part[0] in _ETS_LETTERS and part[1:] in ("", "d") for part in letters
    ):
        return None
    if text == "ZZZ":
        return "error, trend and season each chosen automatically"
    words = []
    for part, letter in zip(_ETS_PARTS, letters, strict=True):
        word = f"{part} {_ETS_LETTERS[letter[0]]}"
        words.append(word + " damped" if letter.endswith("d") else word)
    return ", ".join(words)


@register.filter
def param_value(value: Any, name: Any) -> Any:
    """A hyperparameter's value as a reader should see it: `{{ v|param_value:k }}` shows what
    the catalogue says a 0 stands for ("no limit" for a depth of 0, as the job logs say), not 0;
    a fraction rounded to four significant digits (0.8710974878850724 -> 0.8711); an ETS code
    with what its letters mean ("ZZZ: error, trend and season each chosen automatically")."""
    key = str(name or "")
    param = _zero_meaning_params().get(key)
    meaning = param.meaning(value) if param is not None else ""
    if meaning:
        return meaning
    if isinstance(value, float):
        return readable(value)
    if key == "model":
        parts = ets_components(value)
        if parts:
            return f"{value}: {parts}"
    return value


@register.filter
def model_name(model: Any) -> str:
    """How people know a trained model: its rank, algorithm (named for its problem type) and
    pipeline ("#1 Random forest of pipeline Churn", "#2 Ridge regression of pipeline Prices"),
    not its id."""
    pipeline = getattr(model, "pipeline", None)
    name = f"#{model.rank} {algorithm_label(model.algorithm, model.problem_type)}"
    return f"{name} of pipeline {pipeline.name}" if pipeline is not None else name
