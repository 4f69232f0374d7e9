"""A pipeline being deleted: its deployed models and queued or running batch jobs block it; its
batch inputs and results go once the deletion commits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from datasets.signals import Cleanup
from modeling.models import TrainedModel
from pipelines.signals import pipeline_deleting
from predictions.models import BatchJob, Deployment


@receiver(pipeline_deleting, dispatch_uid="predictions.pipeline_deleting")
def predictions_cleanup(sender: Any, *, pipeline: Any, cleanup: Cleanup, **kwargs: Any) -> None:
    """Block on deployed models and active batch jobs; list batch files for removal."""
    from modeling.templatetags.modeling_labels import model_name

    live = Deployment.objects.filter(model__pipeline=pipeline, status=Deployment.Status.ACTIVE)
    models = {dep.model_id: dep.model for dep in live.select_related("model__pipeline")}
    for model_id, model in models.items():  # one line per model, however many deployments
        cleanup.blockers.append(f"{model_name(model)} (model {model_id}) is deployed")
    for job in BatchJob.objects.filter(model__pipeline=pipeline):
        if job.status in (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING):
            cleanup.blockers.append(f"batch job {job.pk} is {job.status}")
        folder = f"batch/{job.owner_id}/{job.pk}"
        try:
            _dirs, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            files = []
        stored = [job.input_file.name, job.result_file, *[f"{folder}/{f}" for f in files]]
        cleanup.files += [name for name in stored if name]


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
