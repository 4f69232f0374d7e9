"""A pipeline being deleted: its queued or running training jobs block it; its model files (every
file under each job's folder, plus each model's artifact and card) go once the deletion commits.
A dataset's "Before training" checks: what the forecasting engine will do with series too short
for its horizon, their season or its ranking windows (with several series, the short ones)."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.dispatch import receiver

from datasets.models import Dataset
from datasets.signals import Cleanup, dataset_checking
from modeling.models import TrainedModel
from pipelines.models import Pipeline
from pipelines.services import default_forecast_horizon, pipeline_forecast_horizon
from pipelines.signals import pipeline_deleting
from training.forecasting.preflight import series_warnings
from training.models import TrainingJob
from training.services import planned_series_lengths


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


@receiver(dataset_checking, dispatch_uid="training.dataset_checking")
def forecasting_checks(
    sender: Any, *, dataset: Dataset, warnings: list[str], **kwargs: Any
) -> None:
    """Add what the forecasting engine will do with the dataset's series when they are too
    short (`preflight.series_warnings`, judged on each series as the engine plans them): for
    each forecasting pipeline on it, at its horizon; with none, for a forecasting pipeline at
    the default horizon."""
    if dataset.dataset_type != Dataset.Type.TIME_SERIES or not dataset.frequency:
        return
    pipelines = Pipeline.objects.filter(
        dataset=dataset, problem_type=Pipeline.ProblemType.FORECASTING
    ).order_by("pk")
    asked: dict[tuple[tuple[int, ...], int], list[str]] = {}
    for pipeline in pipelines:
        lengths = planned_series_lengths(
            dataset=dataset,
            time_column=pipeline.time_column,
            id_column=pipeline.id_column,
            target=pipeline.target_column,
        )
        if lengths:
            key = (lengths, pipeline_forecast_horizon(pipeline))
            asked.setdefault(key, []).append(f"'{pipeline.name}'")
    if not pipelines:
        lengths = planned_series_lengths(
            dataset=dataset, time_column="", id_column=dataset.id_column, target=None
        )
        if lengths:
            horizon = default_forecast_horizon(dataset=dataset)
            asked[(lengths, horizon)] = []
    for (lengths, horizon), names in asked.items():
        if not names:
            on = "this series" if len(lengths) == 1 else "these series"
            label = f"the default horizon of a forecasting pipeline on {on}"
        else:
            label = f"pipeline{'s' if len(names) > 1 else ''} {', '.join(names)}"
        warnings += series_warnings(lengths, dataset.frequency, horizon, label)
