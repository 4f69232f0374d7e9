"""The training WebSocket on the real ASGI app and channel layer, with a real worker."""

from __future__ import annotations

import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from conftest import (
    create_pipeline,
    pipeline_on_sample,
    upload_sample,
    wait_job,
    ws_answer,
    ws_refused,
)
from training.models import TrainingJob
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _collect(path: str, timeout: float) -> tuple[list[tuple[float, dict]], bool]:
    """Connect and receive until the server closes or time runs out; return events and closed."""
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    events: list[tuple[float, dict]] = []
    closed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                message = await comm.receive_output(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            if message["type"] == "websocket.close":
                closed = True
                break
            import json

            events.append((time.monotonic(), json.loads(message["text"])))
    finally:
        await comm.disconnect()
    return events, closed


def test_live_events_then_final_status_and_late_replay(api, owner, other_user, celery_worker):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    job = api.post(
        "/api/v1/training/start",
        {
            "pipeline_id": pipe["id"],
            # The MLP's epochs are checked below; the first round fits it after one quick linear
            # model, and the linear search then fills the budget whatever the machine's speed
            # (boosting first could use up a short budget on a loaded machine and skip the MLP).
            "algorithms": ["linear", "mlp"],
            "time_budget_s": 16,  # 10 s once gave the MLP one epoch on a very busy machine
        },
        format="json",
    ).json()
    token = AccessToken.for_user(owner)
    path = f"/ws/training/{job['job_id']}/?token={token}"
    events, closed = async_to_sync(_collect)(path, 120)
    assert closed, "the server closes the socket after the final status"
    kinds = [e["type"] for _, e in events]
    assert kinds[-1] == "status" and events[-1][1]["status"] == "completed"
    assert "progress" in kinds and "log" in kinds
    progress_times = [t for t, e in events if e["type"] == "progress"]
    # Live, not all at the end: progress events spread over the run.
    assert progress_times[-1] - progress_times[0] > 1.0
    seqs = [e["seq"] for _, e in events if "seq" in e]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))

    wait_job(api, job["job_id"])
    stored = api.get(f"/api/v1/training/{job['job_id']}/logs?format=json&page_size=500").json()
    assert stored["count"] == len(stored["results"]) >= len(events) - 1
    assert stored["results"][-1]["type"] == "status"
    assert stored["results"][-1]["payload"]["status"] == "completed"
    metrics = api.get(f"/api/v1/training/{job['job_id']}/metrics").json()
    mlp = [m for m in metrics if m["algorithm"] == "mlp"]
    assert len(mlp) >= 2 and [m["epoch"] for m in mlp] == sorted(m["epoch"] for m in mlp)
    assert all(m["train_loss"] is not None and m["val_loss"] is not None for m in mlp)
    late, closed_late = async_to_sync(_collect)(path, 20)
    assert closed_late
    late_kinds = [e["type"] for _, e in late]
    assert late[-1][1]["status"] == "completed" and late[-1][1].get("replay") is True
    assert late_kinds.count("log") >= kinds.count("log")

    foreign = f"/ws/training/{job['job_id']}/?token={AccessToken.for_user(other_user)}"
    assert ws_answer(foreign) == (True, [NOT_FOUND], 4404)


NOT_FOUND = {"type": "error", "detail": "Training job not found.", "code": "not_found"}


def test_another_users_job_answers_like_an_unknown_one(owner, other_user, other_api):
    """Not a refusal (HTTP 403 at the handshake) but what REST says: not found. The socket
    opens, carries one error message and closes with 4404, for another person's job and for
    a job that does not exist alike."""
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    job = TrainingJob.objects.create(owner=owner, pipeline=pipeline)
    other_token = AccessToken.for_user(other_user)
    assert ws_answer(f"/ws/training/{job.pk}/?token={other_token}") == (True, [NOT_FOUND], 4404)
    unknown = f"/ws/training/{uuid.uuid4()}/?token={AccessToken.for_user(owner)}"
    assert ws_answer(unknown) == (True, [NOT_FOUND], 4404)
    rest = other_api.get(f"/api/v1/training/{job.pk}/status")
    assert rest.status_code == 404 and rest.json()["code"] == NOT_FOUND["code"]
    # A socket without a user is still refused at the handshake, before any consumer.
    assert ws_answer(f"/ws/training/{job.pk}/") == (False, [], 4401)


def test_foreign_origin_is_refused(owner):
    token = AccessToken.for_user(owner)
    assert ws_refused(f"/ws/predictions/?token={token}", [(b"origin", b"http://evil.example")])
