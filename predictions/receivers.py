"""A pipeline being deleted: its deployed models and queued or running batch jobs block it; its
batch inputs and results go once the deletion commits."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from datasets.signals import Cleanup
from pipelines.signals import pipeline_deleting
from predictions.models import BatchJob, Deployment


@receiver(pipeline_deleting, dispatch_uid="predictions.pipeline_deleting")
def predictions_cleanup(sender: Any, *, pipeline: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Block on deployed models and active batch jobs; list batch files for removal."""
    live = Deployment.objects.filter(model__pipeline=pipeline, status=Deployment.Status.ACTIVE)
    for dep in live.select_related("model"):
        cleanup.blockers.append(
            f"model {dep.model_id} ({dep.model.algorithm}) is deployed (deployment {dep.pk})"
        )
    for job in BatchJob.objects.filter(model__pipeline=pipeline):
        if job.status in (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING):
            cleanup.blockers.append(f"batch job {job.pk} is {job.status}")
        folder = f"batch/{job.owner_id}/{job.pk}"
        try:
            _dirs, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            files = []
        cleanup.files += [job.input_file.name, job.result_file, *[f"{folder}/{f}" for f in files]]


def _deployment_changed(sender: Any, instance: Deployment, **kwargs: Any) -> None:
    """A deployment saved or deleted outside the services (admin, scripts): after the commit,
    every process's serving cache drops the model (the services announce their own updates)."""
    from django.db import transaction

    from predictions.served import serving_changed

    model_id = instance.model_id
    transaction.on_commit(lambda: serving_changed(model_id))


post_save.connect(_deployment_changed, sender=Deployment, dispatch_uid="predictions.served.save")
post_delete.connect(
    _deployment_changed, sender=Deployment, dispatch_uid="predictions.served.delete"
)
