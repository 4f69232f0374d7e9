"""A model file changed after training is refused with a 409 naming the model, on every channel
(REST single, forecast, batch, WebSocket), even when the model was already in the cache.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework_simplejwt.tokens import AccessToken
from sklearn.linear_model import LinearRegression

from conftest import create_pipeline, sample_path, wait_for, wait_job
from modeling import artifacts
from modeling.artifacts import (
    ArtifactIntegrityError,
    artifact_cache_clear,
    artifact_load,
    artifact_save,
)
from vur.asgi import application

ROW = {
    "island": "Biscoe",
    "bill_length_mm": 48.0,
    "bill_depth_mm": 15.0,
    "flipper_length_mm": 220.0,
    "body_mass_g": 5200.0,
    "sex": "male",
    "year": 2008,
}


def _tamper(name: str, data: bytes = b"tampered: not the model that training wrote") -> bytes:
    """Rewrite the stored file in place (same name, other bytes); return the original bytes."""
    with default_storage.open(name, "rb") as fh:
        original = fh.read()
    with open(default_storage.path(name), "wb") as fh:
        fh.write(data)
    return original


def _restore(name: str, original: bytes) -> None:
    with open(default_storage.path(name), "wb") as fh:
        fh.write(original)


def _saved_model():
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    artifact_cache_clear()
    return artifact_save(model, "test/tamper")


def test_integrity_error_is_a_409_not_a_500():
    assert ArtifactIntegrityError.status_code == 409
    assert ArtifactIntegrityError.code == "artifact_integrity"


def test_cached_model_is_refused_once_its_file_changes():
    saved = _saved_model()
    assert artifact_load(saved.name, saved.sha256).predict([[3.0]])[0] == pytest.approx(7.0)
    original = _tamper(saved.name)
    with pytest.raises(ArtifactIntegrityError) as err:
        artifact_load(saved.name, saved.sha256, label="model 7 (linear)")
    assert "model 7 (linear)" in err.value.detail
    # Still refused on the next call (the entry was evicted, not re-cached).
    with pytest.raises(ArtifactIntegrityError):
        artifact_load(saved.name, saved.sha256)
    _restore(saved.name, original)
    assert artifact_load(saved.name, saved.sha256).predict([[3.0]])[0] == pytest.approx(7.0)


def test_cache_hits_do_not_rehash_and_a_rewrite_with_the_same_bytes_is_served(monkeypatch):
    saved = _saved_model()
    first = artifact_load(saved.name, saved.sha256)
    reads = []
    verify = artifacts._verified_bytes
    monkeypatch.setattr(
        artifacts, "_verified_bytes", lambda *a: reads.append(a) or verify(*a)
    )  # counts full reads + hashes
    for _ in range(5):
        assert artifact_load(saved.name, saved.sha256) is first
    assert reads == []  # unchanged file: a stat per call, no read
    original = _tamper(saved.name, b"x")
    _restore(saved.name, original)  # same bytes again, new times
    assert artifact_load(saved.name, saved.sha256) is first
    assert len(reads) == 1  # verified once after the change, then cached again
    assert artifact_load(saved.name, saved.sha256) is first and len(reads) == 1


def test_a_missing_model_file_is_refused_clearly():
    saved = _saved_model()
    artifact_load(saved.name, saved.sha256)
    default_storage.delete(saved.name)
    with pytest.raises(ArtifactIntegrityError) as err:
        artifact_load(saved.name, saved.sha256)
    assert err.value.code == "artifact_missing" and err.value.status_code == 409


async def _stream(path: str, messages: list, between=None) -> list[dict]:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    answers = []
    try:
        for i, message in enumerate(messages):
            if between is not None and i == 1:
                between()
            await comm.send_json_to(message)
            answers.append(await comm.receive_json_from(timeout=30))
    finally:
        await comm.disconnect()
    return answers


@pytest.mark.django_db(transaction=True)
def test_tampered_classifier_answers_409_on_rest_websocket_and_batch(
    api, owner, deployed_model, celery_worker
):
    model = deployed_model
    names = [c["name"] for c in model.input_schema["columns"]]
    row = {k: v for k, v in ROW.items() if k in names}
    ok = api.post("/api/v1/predictions/single", {"model_id": model.pk, "data": row}, format="json")
    assert ok.status_code == 200, ok.json()

    original = _tamper(model.artifact)
    refused = api.post(
        "/api/v1/predictions/single", {"model_id": model.pk, "data": row}, format="json"
    )
    assert refused.status_code == 409, refused.json()
    body = refused.json()
    assert body["code"] == "artifact_integrity"
    assert f"model {model.pk}" in body["detail"] and "random_forest" in body["detail"]

    # WebSocket: the first message is served, the file changes, the next ones are refused one
    # by one and the connection stays open.
    _restore(model.artifact, original)
    token = AccessToken.for_user(owner)
    message = {"model_id": model.pk, "data": row}
    answers = async_to_sync(_stream)(
        f"/ws/predictions/?token={token}",
        [{**message, "request_id": str(i)} for i in range(3)],
        between=lambda: _tamper(model.artifact),
    )
    assert answers[0]["predictions"] == ["Gentoo"]
    for answer in answers[1:]:
        assert answer["error"]["code"] == "artifact_integrity", answer
        assert f"model {model.pk}" in answer["error"]["detail"]

    frame = pd.read_csv(sample_path("penguins.csv"))[names].head(30)
    batch = api.post(
        "/api/v1/predictions/batch",
        {
            "file": SimpleUploadedFile("rows.csv", frame.to_csv(index=False).encode()),
            "model_id": model.pk,
        },
        format="multipart",
    )
    assert batch.status_code == 202, batch.json()
    bid = batch.json()["job_id"]
    status = wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{bid}").json(),
        lambda b: b["status"] in ("completed", "failed"),
        120,
    )
    assert status["status"] == "failed", status
    assert f"model {model.pk}" in status["error"] and "hash" in status["error"]


@pytest.mark.django_db(transaction=True)
def test_tampered_forecaster_answers_409(api, celery_worker):
    months = pd.date_range("2015-01-01", periods=48, freq="MS")
    values = 100 + 10 * np.sin(np.arange(48) * 2 * np.pi / 12) + np.arange(48)
    data = pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": values.round(2)})
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("s.csv", data.to_csv(index=False).encode()), "name": "s"},
        format="multipart",
    )
    assert up.status_code == 201, up.json()
    pipe = create_pipeline(api, up.json()["id"], "sales", "forecasting", forecast_horizon=3)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 4},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    best = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]
    api.post("/api/v1/deployment/deploy", {"model_id": best["id"]}, format="json")
    first = api.post("/api/v1/predictions/forecast", {"model_id": best["id"]}, format="json")
    assert first.status_code == 200, first.json()

    from modeling.models import TrainedModel

    _tamper(TrainedModel.objects.get(pk=best["id"]).artifact)
    refused = api.post("/api/v1/predictions/forecast", {"model_id": best["id"]}, format="json")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "artifact_integrity"
    assert f"model {best['id']}" in refused.json()["detail"]
