"""Job events: store first (the record of truth), then broadcast on the channel layer.

One helper names each group; consumers and the SSE endpoint relay what is published here.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from datasets.jsonsafe import json_safe

logger = logging.getLogger(__name__)


def training_group(job_id) -> str:
    """Channel-layer group of a training job's events."""
    return f"training.{job_id}"


def event_dict(event) -> dict[str, Any]:
    """The wire shape of a stored TrainingEvent."""
    return {
        "seq": event.pk,
        "type": event.kind,
        "timestamp": event.created_at.isoformat(),
        **event.payload,
    }


def training_event_store(job_id, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Store one event of job `job_id` (inside the caller's transaction); return its wire shape."""
    from training.models import TrainingEvent

    event = TrainingEvent.objects.create(job_id=job_id, kind=kind, payload=json_safe(payload))
    return event_dict(event)


def training_event_broadcast(job_id, message: dict[str, Any]) -> None:
    """Send a stored event to the job's group; a failure only logs (late clients replay it)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            training_group(job_id), {"type": "training.event", "event": message}
        )
    except Exception:  # the stored line stays the record; a late client replays it
        logger.warning("could not broadcast event of job %s", job_id, exc_info=True)


def training_event_publish(job_id, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Store one event of job `job_id`, then send it to the job's group. Returns the event.

    Inside a transaction the broadcast waits for the commit, so no client hears of an event
    (or a final status) that a reader of the database cannot see yet.
    """
    message = training_event_store(job_id, kind, payload)
    transaction.on_commit(partial(training_event_broadcast, job_id, message))
    return message
