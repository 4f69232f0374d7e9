"""The Dataset: an uploaded table or time series, its stored file and its profile."""

from __future__ import annotations

import uuid

from django.db import models

from vur.models import OwnedModel


def dataset_upload_to(instance: Dataset, filename: str) -> str:
    """Storage key of an uploaded file: per owner, under a random folder (never a user path)."""
    return f"datasets/{instance.owner_id}/{uuid.uuid4().hex}/{filename}"


class Dataset(OwnedModel):
    """An uploaded file with its parsed profile (columns, types, time-series facts)."""

    class Type(models.TextChoices):
        TIME_SERIES = "time_series"
        TABULAR = "tabular"

    class Status(models.TextChoices):
        READY = "ready"
        ERROR = "error"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    dataset_type = models.CharField(max_length=20, choices=Type.choices, default=Type.TABULAR)
    file = models.FileField(upload_to=dataset_upload_to, max_length=500)
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)
    size_bytes = models.BigIntegerField(default=0)
    num_rows = models.BigIntegerField(default=0)
    num_columns = models.IntegerField(default=0)
    columns_info = models.JSONField(default=list, blank=True)
    time_column = models.CharField(max_length=255, blank=True, default="")
    frequency = models.CharField(max_length=20, blank=True, default="")
    id_column = models.CharField(max_length=255, blank=True, default="")
    series_info = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dataset_type__in=["time_series", "tabular"]),
                name="dataset_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def column(self, name: str) -> dict | None:
        """The profile of column `name`, or None."""
        return next((c for c in self.columns_info if c.get("name") == name), None)

    @property
    def column_names(self) -> list[str]:
        """Names of the columns, in file order."""
        return [c["name"] for c in self.columns_info]
