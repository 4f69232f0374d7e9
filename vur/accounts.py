"""Deleting a person: everything they own goes through the stages' own delete services, so the
same rules hold as for each object (nothing in use is deleted) and their stored files go too.

Lives in `vur`, above the stages, because a user's objects span all of them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from datasets.models import Dataset
from datasets.services import dataset_delete, dataset_delete_blockers
from modeling.models import TrainedModel
from modeling.services import trained_model_delete, trained_model_delete_blockers
from pipelines.models import Pipeline
from pipelines.services import pipeline_delete, pipeline_delete_blockers
from predictions.models import BatchJob, Deployment
from predictions.services import batch_job_delete, deployment_delete
from training.models import TrainingJob
from training.services import training_job_delete
from vur.errors import Conflict, in_use

_ACTIVE_JOB = ("queued", "running")


def user_delete_blockers(*, user: Any) -> list[str]:
    """Why `user` cannot be deleted now: anything of theirs (or built on theirs) deployed or
    running; [] when they can. Reads only."""
    blockers: list[str] = []
    for dataset in Dataset.objects.filter(owner=user):
        blockers += dataset_delete_blockers(dataset=dataset)
    for pipeline in Pipeline.objects.filter(owner=user).exclude(dataset__owner=user):
        blockers += pipeline_delete_blockers(pipeline=pipeline)
    for model in TrainedModel.objects.filter(owner=user).exclude(pipeline__owner=user):
        blockers += trained_model_delete_blockers(model=model)
    active = Deployment.objects.filter(owner=user, status=Deployment.Status.ACTIVE)
    blockers += [f"deployment {d.pk} of model {d.model_id} is active" for d in active]
    for job in TrainingJob.objects.filter(owner=user, status__in=_ACTIVE_JOB):
        blockers.append(f"training job {job.pk} is {job.status}")
    for batch in BatchJob.objects.filter(owner=user, status__in=_ACTIVE_JOB):
        blockers.append(f"batch job {batch.pk} is {batch.status}")
    return list(dict.fromkeys(blockers))


def _user_in_use(blockers: list[str]) -> Conflict:
    return in_use(
        "The account",
        blockers,
        "Cancel its jobs and undeploy its models, then delete it.",
        "user_in_use",
    )


def user_delete_refusal(*, user: Any) -> str:
    """The sentence `user_delete` would refuse with now; "" when the account may go."""
    blockers = user_delete_blockers(user=user)
    return _user_in_use(blockers).detail if blockers else ""


def user_delete(*, user: Any) -> None:
    """Delete an account with everything it owns, each kind through its delete service (stored
    files after the commit). Conflict (409, `user_in_use`) while any of it is in use; nothing
    changes then."""
    with transaction.atomic():
        blockers = user_delete_blockers(user=user)
        if blockers:
            raise _user_in_use(blockers)
        for dataset in Dataset.objects.filter(owner=user):
            dataset_delete(dataset=dataset)
        for pipeline in Pipeline.objects.filter(owner=user):
            pipeline_delete(pipeline=pipeline)
        for model in TrainedModel.objects.filter(owner=user):
            trained_model_delete(model=model)
        for deployment in Deployment.objects.filter(owner=user):
            deployment_delete(deployment=deployment)
        for job in TrainingJob.objects.filter(owner=user):
            training_job_delete(job=job)
        for batch in BatchJob.objects.filter(owner=user):
            batch_job_delete(job=batch)
        user.delete()
