"""Model-selection work: validating and saving algorithm configs for a pipeline."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modeling import catalog
from modeling.models import ModelConfig
from pipelines.models import Pipeline
from pipelines.services import pipeline_set_config
from vur.errors import InvalidInput

SEARCH_METHODS = ("none", "grid", "random", "bayesian")


def algorithm_config_errors(
    algorithm: str, hyperparameters: Any, problem_type: str | None = None
) -> dict[str, str]:
    """Per-field messages for an algorithm name and its hyperparameters; empty when valid."""
    try:
        spec = catalog.get_algorithm(algorithm)
    except KeyError:
        return {"algorithm": f"unknown algorithm '{algorithm}'"}
    if problem_type and problem_type not in spec.problem_types:
        return {"algorithm": f"'{algorithm}' does not solve {problem_type} problems"}
    return spec.validate(hyperparameters if hyperparameters is not None else {})


def _search_errors(search: dict[str, Any] | None) -> dict[str, str]:
    if not search:
        return {}
    errors: dict[str, str] = {}
    method = search.get("method", "random")
    if method not in SEARCH_METHODS:
        errors["search.method"] = f"must be one of {list(SEARCH_METHODS)}"
    n_iter = search.get("n_iter")
    if n_iter is not None and (
        not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 1
    ):
        errors["search.n_iter"] = "must be a positive integer"
    budget = search.get("time_budget_s")
    if budget is not None and (
        not isinstance(budget, (int, float)) or isinstance(budget, bool) or not 1 <= budget <= 86400
    ):
        errors["search.time_budget_s"] = "must be a number of seconds between 1 and 86400"
    unknown = set(search) - {"method", "n_iter", "time_budget_s"}
    for key in unknown:
        errors[f"search.{key}"] = "unknown search option"
    return errors


def model_config_create(
    *,
    owner,
    pipeline: Pipeline,
    algorithm: str,
    hyperparameters: dict[str, Any],
    search: dict[str, Any] | None = None,
) -> ModelConfig:
    """Validate and save an algorithm config for `pipeline`; list it on the pipeline. Atomic."""
    errors = algorithm_config_errors(algorithm, hyperparameters, pipeline.problem_type)
    errors.update(_search_errors(search))
    if errors:
        raise InvalidInput(
            "The model configuration is not valid.",
            code="invalid_model_config",
            errors={k: [v] for k, v in errors.items()},
        )
    with transaction.atomic():
        config = ModelConfig.objects.create(
            owner=owner,
            pipeline=pipeline,
            algorithm=algorithm,
            hyperparameters=hyperparameters,
            search=search or {},
        )
        summary = list(pipeline.model_configs or []) + [
            {
                "id": config.pk,
                "algorithm": algorithm,
                "hyperparameters": hyperparameters,
                "search": search or {},
            }
        ]
        pipeline_set_config(
            pipeline=pipeline, field="model_configs", value=summary, step="model_selection"
        )
    return config


def feature_importance(*, user, model_id=None, pipeline_id=None) -> dict[str, Any]:
    """Importances of a trained model, or of a pipeline's best model (model-based scores on
    training rows when it has none yet), largest first."""
    from features.services import features_select
    from modeling.selectors import trained_model_get, trained_model_list
    from pipelines.selectors import pipeline_get

    if model_id is not None:
        model = trained_model_get(user=user, model_id=model_id)
    else:
        pipeline = pipeline_get(user=user, pipeline_id=pipeline_id)
        best = (
            trained_model_list(user=user, pipeline_id=pipeline.pk)
            .order_by("-created_at", "rank")
            .first()
        )
        if best is None:
            if pipeline.problem_type == Pipeline.ProblemType.FORECASTING:
                raise InvalidInput(
                    "Train the pipeline first; its importances come from its model.",
                    code="not_trained",
                )
            scores = features_select(pipeline=pipeline, method="model_based")["scores"]
            ranked = sorted(scores.items(), key=lambda kv: -(kv[1] or 0))
            return {
                "method": "model_based_selection",
                "importances": [{"feature": f, "importance": v} for f, v in ranked],
            }
        model = best
    items = sorted(model.feature_importance or [], key=lambda i: -(i.get("importance") or 0))
    method = (model.card or {}).get("importance_method") or ("model" if items else "none")
    return {"method": method, "model_id": model.pk, "importances": items}
