"""`pipeline_deleting`: sent with `pipeline` and `cleanup` (a `datasets.signals.Cleanup`) inside
the transaction that deletes a pipeline (alone, or with its dataset). Later stages (training,
predictions) add their running work as blockers and their stored files."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["pipeline_deleting"]

pipeline_deleting = Signal()
