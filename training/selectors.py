"""Reads of training jobs and their events, limited to what the user may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from training.models import TrainingEvent, TrainingJob
from vur.errors import NotFound
from vur.models import owned_by


def training_job_list(
    *, user, status: str | None = None, pipeline_id: int | None = None
) -> QuerySet[TrainingJob]:
    """Jobs `user` may see, newest first; optionally only those in one `status` or of one
    pipeline."""
    queryset = owned_by(TrainingJob.objects.all(), user)
    if status:
        queryset = queryset.filter(status=status)
    if pipeline_id is not None:
        queryset = queryset.filter(pipeline_id=pipeline_id)
    return queryset


def training_job_get(*, user, job_id) -> TrainingJob:
    """One job `user` may see; NotFound (404) otherwise."""
    try:
        return training_job_list(user=user).get(pk=job_id)
    except (TrainingJob.DoesNotExist, ValueError, TypeError, ValidationError):  # a malformed UUID
        raise NotFound("Training job not found.", code="job_not_found") from None


def training_events_after(*, job_id, after: int = 0) -> QuerySet[TrainingEvent]:
    """Stored events of a job with sequence numbers above `after`, in order."""
    return TrainingEvent.objects.filter(job_id=job_id, pk__gt=after).order_by("pk")
