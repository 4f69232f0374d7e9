"""A failed job's reason ends its log: stored, and pushed live before the final status (once,
even when the last line already said it); the page of a finished job says no model of the run
records per-epoch losses instead of "No per-epoch losses yet"."""

from __future__ import annotations

import html
import json
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.base import ContentFile
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from training.models import TrainingEvent, TrainingJob
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "The regression target 'y' is constant."


def _constant_target_pipeline(owner):
    """A regression pipeline on a constant target, saved as one could be before the setup
    refused such targets: a job queued for it without the start check fails in the run."""
    from datasets.services import dataset_upload
    from pipelines.models import Pipeline

    rows = "\n".join(f"{i},{i % 7},5" for i in range(60))
    upload = ContentFile(f"x1,x2,y\n{rows}\n".encode(), name="constant.csv")
    dataset = dataset_upload(owner=owner, upload=upload, name="constant.csv")
    return Pipeline.objects.create(
        owner=owner,
        dataset=dataset,
        name="constant",
        target_column="y",
        problem_type="regression",
        completed_steps=["upload"],
    )


async def _follow(comm: WebsocketCommunicator, timeout: float) -> list[dict]:
    """Receive until the server closes the socket (after the final status)."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await comm.receive_output(timeout=max(0.1, deadline - time.monotonic()))
        if message["type"] == "websocket.close":
            return events
        events.append(json.loads(message["text"]))
    raise AssertionError(f"no final status within {timeout} s: {events}")


def test_failure_reason_is_the_last_log_line_live_and_stored(owner, celery_worker):
    from training.services import _enqueue

    pipeline = _constant_target_pipeline(owner)
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, config={"algorithms": ["linear"], "time_budget_s": 10}
    )
    path = f"/ws/training/{job.pk}/?token={AccessToken.for_user(owner)}"

    async def run() -> list[dict]:
        comm = WebsocketCommunicator(application, path)
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            replay = await comm.receive_json_from(timeout=10)
            assert replay["type"] == "status" and replay["status"] == "queued"
            # Only now does a worker get the job: everything after this arrives live.
            from channels.db import database_sync_to_async

            await database_sync_to_async(_enqueue)(job.pk)
            return await _follow(comm, 120)
        finally:
            await comm.disconnect()

    live = async_to_sync(run)()
    assert live[-1]["type"] == "status" and live[-1]["status"] == "failed"
    assert live[-1]["error"] == REASON
    last_log = [e for e in live if e["type"] == "log"][-1]
    assert live[-2] == last_log  # right before the final status
    assert last_log["message"] == REASON and last_log["level"] == "error"

    stored = list(TrainingEvent.objects.filter(job=job, kind="log").order_by("pk"))
    assert len(stored) >= 2  # the first line, then the reason
    assert stored[-1].payload["message"] == REASON
    assert sum(e.payload["message"] == REASON for e in stored) == 1

    page = _page(owner, job)
    assert REASON in page.split('id="job-log"')[1].split("</ol>")[0]
    assert "No per-epoch losses yet" not in page
    assert "no model of this run records per-epoch losses" in page


def _page(owner, job) -> str:
    client = Client()
    client.force_login(owner)
    return html.unescape(client.get(f"/training/{job.pk}/").content.decode())


def test_a_reason_already_logged_is_not_logged_twice(owner):
    from training.events import training_event_publish
    from training.services import _end_job

    job = TrainingJob.objects.create(owner=owner, pipeline=_constant_target_pipeline(owner))
    training_event_publish(job.pk, "log", {"level": "error", "message": "Out of memory."})
    assert _end_job(job.pk, TrainingJob.Status.FAILED, error="Out of memory.")
    logs = TrainingEvent.objects.filter(job=job, kind="log")
    assert [e.payload["message"] for e in logs.order_by("pk")] == ["Out of memory."]
    # A cancel has no reason to log.
    other = TrainingJob.objects.create(owner=owner, pipeline=job.pipeline)
    assert _end_job(other.pk, TrainingJob.Status.CANCELLED)
    assert not TrainingEvent.objects.filter(job=other, kind="log").exists()
