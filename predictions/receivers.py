"""A pipeline or a trained model being deleted: its deployed models and queued or running batch
jobs block it; its batch inputs and results go once the deletion commits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from datasets.signals import Cleanup
from modeling.models import TrainedModel
from modeling.signals import trained_model_deleting
from pipelines.signals import pipeline_deleting
from predictions.models import BatchJob, Deployment


def _in_use(models: Any, jobs: Any, cleanup: Cleanup) -> None:
    """Add the deployed `models` and the queued or running batch `jobs` as blockers, and every
    batch job's files for removal."""
    from modeling.templatetags.modeling_labels import model_name
    from predictions.services import batch_job_files

    live = Deployment.objects.filter(model__in=models, status=Deployment.Status.ACTIVE)
    deployed = {dep.model_id: dep.model for dep in live.select_related("model__pipeline")}
    for model_id, model in deployed.items():  # one line per model, however many deployments
        cleanup.blockers.append(f"{model_name(model)} (model {model_id}) is deployed")
    for job in jobs:
        if job.status in (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING):
            cleanup.blockers.append(f"batch job {job.pk} is {job.status}")
        cleanup.files += batch_job_files(job)


@receiver(pipeline_deleting, dispatch_uid="predictions.pipeline_deleting")
def predictions_cleanup(sender: Any, *, pipeline: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Block on deployed models and active batch jobs; list batch files for removal."""
    models = TrainedModel.objects.filter(pipeline=pipeline)
    _in_use(models, BatchJob.objects.filter(model__pipeline=pipeline), cleanup)


@receiver(trained_model_deleting, dispatch_uid="predictions.trained_model_deleting")
def model_predictions_cleanup(sender: Any, *, model: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Block on the model's active deployments and batch jobs; list its batch files."""
    models = TrainedModel.objects.filter(pk=model.pk)
    _in_use(models, BatchJob.objects.filter(model=model), cleanup)


def _serving_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deployment or trained model saved or deleted (admin, scripts, a new model that may
    reuse a deleted one's id on SQLite): this process forgets the model now, and every
    process's serving cache drops it after the commit."""
    from django.db import transaction

    from predictions.served import serving_changed, serving_forget

    model_id = instance.pk if isinstance(instance, TrainedModel) else instance.model_id
    serving_forget(model_id)
    transaction.on_commit(lambda: serving_changed(model_id))


for _sender in (Deployment, TrainedModel):
    post_save.connect(_serving_changed, sender=_sender, dispatch_uid=f"served.save.{_sender}")
    post_delete.connect(_serving_changed, sender=_sender, dispatch_uid=f"served.del.{_sender}")


def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user saved or deleted (deactivated, password or staff flag changed): the fast path's
    cached copy goes now here, and in every process after the commit."""
    from django.db import transaction

    from predictions.fastpath import fast_cache_clear_user, user_changed

    user_id = instance.pk
    fast_cache_clear_user(user_id)
    transaction.on_commit(lambda: user_changed(user_id))


post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="fast.user.save")
post_delete.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="fast.user.del")
