"""Reads of deployments and batch jobs, limited to what the user may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from predictions.models import BatchJob, Deployment
from vur.errors import NotFound
from vur.models import owned_by


def deployment_list(
    *, user, model_id: int | None = None, status: str | None = None
) -> QuerySet[Deployment]:
    """Deployments `user` may see, newest first; optionally only one model's (the history its
    page shows) or those in one `status`."""
    queryset = owned_by(Deployment.objects.select_related("model"), user)
    if model_id is not None:
        queryset = queryset.filter(model_id=model_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def batch_job_get(*, user, job_id) -> BatchJob:
    """One batch job `user` may see; NotFound (404) otherwise."""
    try:
        return owned_by(BatchJob.objects.all(), user).get(pk=job_id)
    except (BatchJob.DoesNotExist, ValueError, TypeError, ValidationError):  # a malformed UUID
        raise NotFound("Batch job not found.", code="batch_job_not_found") from None
