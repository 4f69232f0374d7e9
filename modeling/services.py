"""Model-selection work: validating and saving algorithm configs for a pipeline; deleting a
trained model with its stored files."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from datasets.services import storage_delete_files
from datasets.signals import Cleanup
from modeling import catalog
from modeling.models import ModelConfig, TrainedModel
from modeling.signals import trained_model_deleting
from pipelines.models import Pipeline
from pipelines.services import (
    pipeline_set_config,
    pipeline_set_status,
    pipeline_status_allowed,
    pipeline_unmark_step,
)
from vur.errors import Conflict, InvalidInput, in_use

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


def trained_model_files(model: TrainedModel) -> list[str]:
    """Storage names of a model's own files: its artifact, its card and its monitoring
    reference (the ones it has)."""
    reference = (model.card or {}).get("monitoring_reference") or ""
    return [name for name in (model.artifact, model.card_file, reference) if name]


def pipeline_status_from_models(pipeline: Pipeline) -> str:
    """The status a pipeline's models give it: deployed when one is deployed, trained when it
    has any, configured otherwise."""
    models = TrainedModel.objects.filter(pipeline=pipeline)
    if models.filter(is_deployed=True).exists():
        return Pipeline.Status.DEPLOYED
    if models.exists():
        return Pipeline.Status.TRAINED
    return Pipeline.Status.CONFIGURED


def pipeline_steps_from_models(*, pipeline: Pipeline) -> Pipeline:
    """Drop the completed steps a pipeline's models no longer back: training (and deployment
    after it) when it has no model left, deployment when none of them is deployed. Only ever
    removes steps (training and deploying mark them); safe to repeat."""
    models = TrainedModel.objects.filter(pipeline=pipeline)
    if not models.exists():
        return pipeline_unmark_step(pipeline=pipeline, step="training")
    if not models.filter(is_deployed=True).exists():
        return pipeline_unmark_step(pipeline=pipeline, step="deployment")
    return pipeline


def _model_in_use(blockers: list[str]) -> Conflict:
    return in_use(
        "The model",
        blockers,
        "Undeploy it and let its batch jobs finish, then delete it.",
        "model_in_use",
    )


def trained_model_delete_blockers(*, model: TrainedModel) -> list[str]:
    """Why `model` cannot be deleted now (active deployments, running batch jobs); [] when it
    can. Reads only."""
    cleanup = Cleanup()
    trained_model_deleting.send(sender=TrainedModel, model=model, cleanup=cleanup)
    return cleanup.blockers


def trained_model_delete_refusal(*, model: TrainedModel) -> str:
    """The sentence `trained_model_delete` would refuse with now; "" when the model may go."""
    blockers = trained_model_delete_blockers(model=model)
    return _model_in_use(blockers).detail if blockers else ""


def trained_model_delete(*, model: TrainedModel) -> None:
    """Delete one trained model with its predictions, deployments history and batch jobs, then
    set its pipeline's completed steps and status from the models left; its files (artifact,
    card, monitoring reference, batch inputs and results) go once the deletion commits. Safe to
    repeat.

    Conflict (409, `model_in_use`) while it is deployed or a batch job runs on it; nothing
    changes then. A pipeline that is training keeps that status (its job sets the next).
    """
    cleanup = Cleanup()
    with transaction.atomic():
        # The pipeline first, then the model (the order of a pipeline's own delete); the model's
        # lock makes a deployment or batch job being created for it wait, then fail.
        pipeline = Pipeline.objects.select_for_update().filter(pk=model.pipeline_id).first()
        row = TrainedModel.objects.select_for_update().filter(pk=model.pk).first()
        if pipeline is None or row is None:
            return
        cleanup.files += trained_model_files(row)
        trained_model_deleting.send(sender=TrainedModel, model=row, cleanup=cleanup)
        if cleanup.blockers:
            raise _model_in_use(cleanup.blockers)
        row.delete()
        pipeline_steps_from_models(pipeline=pipeline)
        status = pipeline_status_from_models(pipeline)
        if pipeline.status != Pipeline.Status.TRAINING and pipeline_status_allowed(
            pipeline.status, status
        ):
            pipeline_set_status(pipeline=pipeline, status=status)
        transaction.on_commit(partial(storage_delete_files, list(cleanup.files)))
