"""Deleting a dataset deletes its pipelines: each one is offered to the later stages first."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from datasets.signals import Cleanup, dataset_deleting
from pipelines.models import Pipeline
from pipelines.signals import pipeline_deleting


@receiver(dataset_deleting, dispatch_uid="pipelines.dataset_deleting")
def collect_pipelines(sender: Any, *, dataset: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Send `pipeline_deleting` for each pipeline of the dataset being deleted."""
    for pipeline in Pipeline.objects.filter(dataset=dataset):
        pipeline_deleting.send(sender=Pipeline, pipeline=pipeline, cleanup=cleanup)
