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
    training jobs and models; the dataset stays), or why it cannot be deleted now."""
    jobs = pipeline.training_jobs.count()
    models = pipeline.trained_models.count()
    question = (
        f"Delete the pipeline {pipeline.name} with its {_count(jobs, 'training job')} and "
        f"{_count(models, 'trained model')}? The dataset stays."
    )
    return {"question": question, "blocked": _in_use(pipeline_delete_blockers(pipeline=pipeline))}


@register.simple_tag
def dataset_delete_facts(dataset: Dataset) -> dict[str, Any]:
    """{question, blocked}: the confirm's question naming what goes with the dataset (its file,
    pipelines and their models), or why it cannot be deleted now."""
    counts = Pipeline.objects.filter(dataset=dataset).aggregate(
        pipelines=Count("pk", distinct=True), models=Count("trained_models", distinct=True)
    )
    models = counts["models"]
    question = (
        f"Delete {dataset.name} with its file, {_count(counts['pipelines'], 'pipeline')} and "
        f"{_count(models, 'trained model')}?"
    )
    return {"question": question, "blocked": _in_use(dataset_delete_blockers(dataset=dataset))}
