"""Class labels of every type through the real stack: upload, train (real worker), register,
deploy, single predictions, feedback, batch scoring and the WebSocket stream. Each label comes
back in its own type (0/1 stay ints, booleans stay booleans, 1.0/2.0 become 1/2).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework_simplejwt.tokens import AccessToken

from conftest import train_and_deploy, wait_for
from predictions.models import PredictionRecord
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

N = 90


def _frame(kind: str) -> pd.DataFrame:
    """A small learnable table whose target `y` is written the way `kind` says."""
    rng = np.random.default_rng(7)
    x1 = rng.normal(size=N)
    x2 = rng.normal(size=N)
    binary = x1 > 0
    three = np.digitize(x1, [-0.45, 0.45])
    y = {
        "int": binary.astype(int),
        "bool": binary,
        "float": np.where(binary, 2.0, 1.0),
        "str3": np.array(["low", "mid", "high"])[three],
        "int3": three + 1,
    }[kind]
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "y": y})


# kind -> (classes as the API reports them, type of each prediction)
EXPECTED = {
    "int": ([0, 1], int),
    "bool": ([False, True], bool),
    "float": ([1, 2], int),
    "str3": (["high", "low", "mid"], str),
    "int3": ([1, 2, 3], int),
}
KEYS = {"bool": {"false", "true"}}


def _train_and_deploy(api, frame: pd.DataFrame) -> dict:
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("t.csv", frame.to_csv(index=False).encode()), "name": "t"},
        format="multipart",
    )
    assert up.status_code == 201, up.json()
    return train_and_deploy(
        api, up.json()["id"], "y", "classification", ["linear", "random_forest"]
    )


async def _stream(path: str, messages: list[dict]) -> list[dict]:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    try:
        answers = []
        for message in messages:
            await comm.send_json_to(message)
            answers.append(await comm.receive_json_from(timeout=30))
        return answers
    finally:
        await comm.disconnect()


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_labels_keep_their_type_from_training_to_predictions(kind, api, owner, celery_worker):
    frame = _frame(kind)
    classes, label_type = EXPECTED[kind]
    best = _train_and_deploy(api, frame)
    assert best["classes"] == classes
    assert all(type(c) is label_type for c in best["classes"])
    assert best["test_metrics"]["accuracy"] is not None and best["test_metrics"]["auc"] > 0.7
    matrix = best["confusion_matrix"]
    assert len(matrix) == len(classes) and sum(map(sum, matrix)) > 0

    rows = frame[["x1", "x2"]].head(6).to_dict("records")
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": best["id"], "data": rows, "return_probabilities": True},
        format="json",
    )
    assert single.status_code == 200, single.json()
    out = single.json()
    assert all(type(p) is label_type for p in out["predictions"]), out["predictions"]
    assert set(out["predictions"]) <= set(classes)
    keys = KEYS.get(kind, {str(c) for c in classes})
    assert set(out["probabilities"][0]) == keys
    # The label read off the probabilities is the most probable class.
    for pred, proba in zip(out["predictions"], out["probabilities"], strict=True):
        top = max(proba, key=proba.get)
        assert top == (str(pred).lower() if kind == "bool" else str(pred))

    # Feedback written as text (as a form or CSV would give it) is stored as the model's label.
    actual_text = str(classes[-1]).lower()
    fb = api.post(
        "/api/v1/predictions/feedback",
        {"prediction_id": out["prediction_ids"][0], "actual": actual_text},
        format="json",
    )
    assert fb.status_code == 201, fb.json()
    assert fb.json()["actual"] == classes[-1] and type(fb.json()["actual"]) is label_type
    stored = PredictionRecord.objects.get(pk=out["prediction_ids"][0]).actual
    assert stored == classes[-1] and type(stored) is label_type

    token = AccessToken.for_user(owner)
    answers = async_to_sync(_stream)(
        f"/ws/predictions/?token={token}",
        [
            {"model_id": best["id"], "data": rows[0], "request_id": "a"},
            {"model_id": best["id"], "data": rows[:3], "request_id": "b"},
        ],
    )
    assert answers[0]["predictions"] == out["predictions"][:1]
    assert answers[1]["predictions"] == out["predictions"][:3]
    assert set(answers[1]["probabilities"][0]) == keys


@pytest.mark.parametrize("kind", ["int", "bool", "str3"])
def test_batch_results_name_probability_columns_after_the_classes(kind, api, celery_worker):
    frame = _frame(kind)
    classes, _ = EXPECTED[kind]
    best = _train_and_deploy(api, frame)
    rows = frame[["x1", "x2"]].head(40)
    batch = api.post(
        "/api/v1/predictions/batch",
        {
            "file": SimpleUploadedFile("rows.csv", rows.to_csv(index=False).encode()),
            "model_id": best["id"],
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
    assert status["status"] == "completed", status
    download = api.get(f"/api/v1/predictions/batch/{bid}/download")
    result = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert len(result) == 40
    keys = KEYS.get(kind, {str(c) for c in classes})
    assert {f"proba_{k}" for k in keys} <= set(result[0])
    # The prediction column writes each class as JSON does, like the proba_ column names.
    assert {r["prediction"] for r in result} <= keys
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": best["id"], "data": rows.to_dict("records")},
        format="json",
    ).json()
    written = [json.dumps(p).strip('"') for p in single["predictions"]]
    assert [r["prediction"] for r in result] == written
