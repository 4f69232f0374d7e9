"""`trained_model_deleting`: sent with `model` and `cleanup` (a `datasets.signals.Cleanup`) inside
the transaction that deletes one trained model. Later stages (predictions) add what keeps the
model in use as blockers (active deployments, running batch jobs) and their stored files."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["trained_model_deleting"]

trained_model_deleting = Signal()
