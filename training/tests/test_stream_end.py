"""Live streams never lose their end: the final status is stored with the terminal row, and the
SSE stream and the WebSocket deliver it before they end, even when it commits after (and so is
broadcast after) a later-numbered event.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db.models import Max
from rest_framework_simplejwt.tokens import AccessToken

from conftest import create_pipeline, upload_sample
from training.events import training_group
from training.models import TrainingEvent, TrainingJob
from training.views import stream_job_events
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running_job(api, owner) -> TrainingJob:
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    return TrainingJob.objects.create(owner=owner, pipeline_id=pipe["id"], status="running")


def _far_seq() -> int:
    # Explicit ids well above anything the sequence will hand out in this test session.
    return (TrainingEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1_000_000


def test_sse_sends_a_final_status_that_committed_after_a_later_numbered_line(running_job):
    job = running_job
    base = _far_seq()
    # A cancel request's log line (seq base+10) commits first; the job's final status event,
    # numbered earlier (base+5) inside the worker's still-open transaction, commits after it.
    TrainingEvent.objects.create(
        id=base + 10, job=job, kind="log", payload={"message": "Cancel requested."}
    )

    async def run() -> list[dict]:
        stream = stream_job_events(job.pk)
        out = []
        assert (await anext(stream)).startswith("retry")
        out.append(await anext(stream))  # the log line
        await sync_to_async(_commit_final)(job, base + 5)
        async for chunk in stream:
            out.append(chunk)
        return [json.loads(c.split("data: ", 1)[1]) for c in out if "data: " in c]

    messages = async_to_sync(run)()
    assert [m["type"] for m in messages] == ["log", "status", "end"], messages
    assert messages[1]["status"] == "cancelled" and messages[2]["status"] == "cancelled"


def _commit_final(job: TrainingJob, seq: int) -> None:
    TrainingEvent.objects.create(id=seq, job=job, kind="status", payload={"status": "cancelled"})
    TrainingJob.objects.filter(pk=job.pk).update(status="cancelled")


def test_websocket_relays_a_final_status_broadcast_after_a_later_numbered_line(running_job, owner):
    job = running_job
    path = f"/ws/training/{job.pk}/?token={AccessToken.for_user(owner)}"
    layer = get_channel_layer()

    async def run() -> tuple[list[dict], dict]:
        comm = WebsocketCommunicator(application, path)
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            replay = await comm.receive_json_from(timeout=10)
            assert replay["type"] == "status" and replay["replay"] is True
            group = training_group(job.pk)
            # Broadcast in commit order: the later-numbered line first, the final status next.
            for event in (
                {"seq": 910, "type": "log", "message": "Cancel requested."},
                {"seq": 905, "type": "status", "status": "cancelled"},
                {"seq": 920, "type": "log", "message": "after the end"},
            ):
                await layer.group_send(group, {"type": "training.event", "event": event})
            received = [await comm.receive_json_from(timeout=10) for _ in range(2)]
            closed = await comm.receive_output(timeout=10)
            return received, closed
        finally:
            await comm.disconnect()

    received, closed = async_to_sync(run)()
    assert [e["seq"] for e in received] == [910, 905]
    assert received[-1]["type"] == "status" and received[-1]["status"] == "cancelled"
    assert closed["type"] == "websocket.close" and closed.get("code", 1000) == 1000


def test_a_failed_jobs_socket_sends_the_final_status_then_closes_normally(running_job, owner):
    from training.services import _finish

    job = running_job
    _finish(job, "failed", "The data could not be used.")
    path = f"/ws/training/{job.pk}/?token={AccessToken.for_user(owner)}"

    async def run() -> tuple[list[dict], dict]:
        comm = WebsocketCommunicator(application, path)
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            messages: list[Any] = []
            while True:
                output = await comm.receive_output(timeout=10)
                if output["type"] == "websocket.close":
                    return messages, output
                messages.append(json.loads(output["text"]))
        finally:
            await comm.disconnect()

    messages, closed = async_to_sync(run)()
    stored = [m for m in messages if not m.get("replay")]
    assert stored[-1]["type"] == "status" and stored[-1]["status"] == "failed"
    assert stored[-1]["error"] == "The data could not be used."
    assert messages[-1]["replay"] is True and messages[-1]["status"] == "failed"
    assert closed.get("code", 1000) == 1000


def test_a_terminal_row_is_never_seen_without_its_final_status_event(api, celery_worker):
    """Poll as fast as possible while a real job finishes: status first, events second."""
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    job = api.post(
        "/api/v1/training/start",
        {
            "pipeline_id": pipe["id"],
            # One search proposal: the job ends when its work is done, not at the budget.
            "model_config": {"algorithm": "linear", "search": {"n_iter": 1}},
            "time_budget_s": 30,
        },
        format="json",
    ).json()
    import time

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = TrainingJob.objects.values_list("status", flat=True).get(pk=job["job_id"])
        if status in TrainingJob.TERMINAL:
            final = TrainingEvent.objects.filter(job_id=job["job_id"], kind="status").last()
            assert final is not None and final.payload["status"] == status
            break
    else:
        raise AssertionError("the job did not end in time")
    assert status == "completed"
