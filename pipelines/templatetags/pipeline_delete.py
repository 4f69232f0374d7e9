"""What deleting a pipeline or a dataset takes with it, and why it cannot be deleted now, for the
Delete buttons: the confirm says what goes, and a pipeline in use shows why instead."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count

from datasets.models import Dataset
from datasets.services import dataset_delete_blockers
from pipelines.models import Pipeline
from pipelines.services import pipeline_delete_blockers

register = template.Library()


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _listed(parts: list[str]) -> str:
    """ "a, b and c" """
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _served(models: Any) -> list[str]:
    """What the models' serving left that goes with them: scored files (their downloadable
    results) and the prediction log (monitoring's history); nothing when there is none. Read
    through the models' reverse relations: this app does not import `predictions`."""
    files = models.aggregate(n=Count("batch_jobs"))["n"]
    parts = [f"{_count(files, 'scored file')} with {'its' if files == 1 else 'their'} results"]
    parts = parts if files else []
    if models.filter(predictions__isnull=False).exists():
        parts.append("the log of their predictions")
    return parts


def _in_use(blockers: list[str]) -> str:
    """ "It is in use: model 3 is deployed. Undeploy ..." or "" when nothing blocks it."""
    if not blockers:
        return ""
    return (
        f"In use: {'; '.join(blockers)}. Cancel its running jobs and undeploy its models "
        "before deleting it."
    )


@register.simple_tag
def pipeline_delete_facts(pipeline: Pipeline) -> dict[str, Any]:
    """{question, blocked}: the confirm's question naming what goes with the pipeline (its
    training jobs and models, their scored files and prediction log; the dataset stays), or
    why it cannot be deleted now."""
    jobs = pipeline.training_jobs.count()
    models = pipeline.trained_models.count()
    parts = [_count(jobs, "training job"), _count(models, "trained model")]
    parts += _served(pipeline.trained_models.all()) if models else []
    question = f"Delete the pipeline {pipeline.name} with its {_listed(parts)}? The dataset stays."
    return {"question": question, "blocked": _in_use(pipeline_delete_blockers(pipeline=pipeline))}


@register.simple_tag
def dataset_delete_facts(dataset: Dataset) -> dict[str, Any]:
    """{question, blocked}: the confirm's question naming what goes with the dataset (its file,
    pipelines and their models, scored files and prediction log), or why it cannot be deleted
    now."""
    counts = Pipeline.objects.filter(dataset=dataset).aggregate(
        pipelines=Count("pk", distinct=True), models=Count("trained_models", distinct=True)
    )
    models = counts["models"]
    parts = [_count(counts["pipelines"], "pipeline"), _count(models, "trained model")]
    if models:
        trained = Pipeline._meta.get_field("trained_models").related_model  # reverse relation
        parts += _served(trained._default_manager.filter(pipeline__dataset=dataset))
    question = f"Delete {dataset.name} with its file, {_listed(parts)}?"
    return {"question": question, "blocked": _in_use(dataset_delete_blockers(dataset=dataset))}
