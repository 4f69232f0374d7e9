"""Reads of pipelines, limited to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from pipelines.models import Pipeline
from vur.errors import NotFound
from vur.models import owned_by


def pipeline_list(*, user, dataset_id: int | None = None) -> QuerySet[Pipeline]:
    """The pipelines `user` may see, newest first; optionally only those on one dataset (what
    the dataset page lists)."""
    queryset = owned_by(Pipeline.objects.select_related("dataset"), user)
    if dataset_id is not None:
        queryset = queryset.filter(dataset_id=dataset_id)
    return queryset


def pipeline_get(*, user, pipeline_id) -> Pipeline:
    """One pipeline `user` may see; NotFound (404) otherwise."""
    try:
        return pipeline_list(user=user).get(pk=pipeline_id)
    except (Pipeline.DoesNotExist, ValueError, TypeError):
        raise NotFound("Pipeline not found.", code="pipeline_not_found") from None
