"""WebSockets stay open on the real Redis channel layer past its blocking-read window.

channels-redis reads a consumer's channel with a blocking BZPOPMIN of up to 5 s; a Redis client
whose socket timeout is not longer than that cuts the read and closes every socket with 1011.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from predictions.tests.test_consumers import _row
from training.events import training_event_publish
from training.models import TrainingJob
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

# Past one whole 5 s blocking read and into the next: a socket timeout short enough to cut a read
# (5 s, as the layer once had) closes the socket well before this.
OPEN_FOR_S = 8.0


async def _assert_open_and_answering(path: str, model_id: int, row: dict) -> None:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    try:
        await comm.send_json_to({"model_id": model_id, "data": row, "request_id": "first"})
        assert (await comm.receive_json_from(timeout=30))["request_id"] == "first"
        # Idle on purpose: the point is what happens to an idle socket over time.
        await asyncio.sleep(OPEN_FOR_S)
        await comm.send_json_to({"model_id": model_id, "data": row, "request_id": "late"})
        late = await comm.receive_json_from(timeout=30)
        assert late["request_id"] == "late" and late["predictions"], late
        for i in range(400):
            await comm.send_json_to({"model_id": model_id, "data": row, "request_id": f"p{i}"})
        answers = [await comm.receive_json_from(timeout=60) for _ in range(400)]
        assert sorted(a["request_id"] for a in answers) == sorted(f"p{i}" for i in range(400))
        assert all("error" not in a for a in answers), [a for a in answers if "error" in a][:3]
        assert await comm.receive_nothing(timeout=0.5)
    finally:
        await comm.disconnect()


def test_prediction_socket_outlives_the_channel_layers_blocking_read(owner, deployed_model):
    token = AccessToken.for_user(owner)
    async_to_sync(_assert_open_and_answering)(
        f"/ws/predictions/?token={token}", deployed_model.pk, _row(deployed_model)
    )


def test_training_socket_relays_events_published_after_a_long_idle(owner, deployed_model):
    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, status="running"
    )
    path = f"/ws/training/{job.pk}/?token={AccessToken.for_user(owner)}"

    async def scenario() -> None:
        comm = WebsocketCommunicator(application, path)
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            first = await comm.receive_json_from(timeout=10)
            assert first["type"] == "status" and first["replay"] is True
            await asyncio.sleep(OPEN_FOR_S)
            publish = database_sync_to_async(training_event_publish)
            await publish(job.pk, "log", {"level": "info", "message": "still here"})
            event = await comm.receive_json_from(timeout=30)
            assert event["type"] == "log" and event["message"] == "still here"
            await publish(job.pk, "status", {"status": "completed", "progress": 1.0})
            final = await comm.receive_json_from(timeout=30)
            assert final["type"] == "status" and final["status"] == "completed"
            closed = await comm.receive_output(timeout=10)
            assert closed["type"] == "websocket.close"
            assert closed.get("code", 1000) == 1000
        finally:
            await comm.disconnect()

    async_to_sync(scenario)()
