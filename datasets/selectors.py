"""Reads of datasets shared by views, pages and later stages, limited to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from datasets.models import Dataset
from vur.errors import NotFound
from vur.models import owned_by


def dataset_list(
    *, user, name_contains: str = "", dataset_type: str | None = None
) -> QuerySet[Dataset]:
    """The datasets `user` may see (their own; all for staff), newest first; optionally those
    whose name contains `name_contains` (any case) and of one `dataset_type`. The Datasets page's
    "Name contains" and "Kind" filters and the REST list's filters are these."""
    queryset = owned_by(Dataset.objects.all(), user)
    if name_contains:
        queryset = queryset.filter(name__icontains=name_contains)
    if dataset_type:
        queryset = queryset.filter(dataset_type=dataset_type)
    return queryset


def dataset_get(*, user, dataset_id) -> Dataset:
    """One dataset `user` may see; NotFound (404) otherwise, including other users' datasets."""
    try:
        return dataset_list(user=user).get(pk=dataset_id)
    except (Dataset.DoesNotExist, ValueError, TypeError):
        raise NotFound("Dataset not found.", code="dataset_not_found") from None
