"""A pipeline being deleted: its queued or running training jobs block it; its model files (every
file under each job's folder, plus each model's artifact and card) go once the deletion commits."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.dispatch import receiver

from datasets.signals import Cleanup
from modeling.models import TrainedModel
from pipelines.signals import pipeline_deleting
from training.models import TrainingJob


def _folder_files(folder: str) -> list[str]:
    """Storage names of the files directly in `folder` ([] when it does not exist)."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return []
    return [f"{folder}/{name}" for name in files]


@receiver(pipeline_deleting, dispatch_uid="training.pipeline_deleting")
def training_cleanup(sender: Any, *, pipeline: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Block on active training jobs; list the pipeline's model files for removal."""
    jobs = list(TrainingJob.objects.filter(pipeline=pipeline).only("id", "owner_id", "status"))
    for job in jobs:
        if job.status in (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING):
            cleanup.blockers.append(
                f"training job {job.pk} of pipeline '{pipeline.name}' is {job.status}"
            )
    for job in jobs:
        cleanup.files += _folder_files(f"models/{job.owner_id}/{job.pk}")
    for artifact, card in TrainedModel.objects.filter(pipeline=pipeline).values_list(
        "artifact", "card_file"
    ):
        cleanup.files += [artifact, card]
