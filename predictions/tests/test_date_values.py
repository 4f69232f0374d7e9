"""A date column's value that does not read as a date is refused, as a number column's words
are, instead of being predicted as a missing date: `single` (REST and the stream) answers 400
`invalid_rows` naming the row and column; a batch file answers 400 `unreadable_values` with the
count and the first bad value and its row (and fails the job when such values come after the
first chunk). Empty values and the missing-value words stay missing; dates are read in the
training file's own notation (day first here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, wait_for, wait_job
from modeling.models import TrainedModel
from predictions.models import BatchJob
from predictions.services import predict_many
from vur.errors import InvalidInput

pytestmark = pytest.mark.django_db(transaction=True)

MUST = "must be a date (or null for a missing value)"


def _table(n: int = 160) -> pd.DataFrame:
    """Contracts signed over a year, dates written day first; renewals follow the season."""
    rng = np.random.default_rng(3)
    signed = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    amount = rng.normal(100, 20, n).round(2)
    renewed = np.where((signed.month <= 6) ^ (amount > 110), "yes", "no")
    return pd.DataFrame(
        {"signed_on": signed.strftime("%d/%m/%Y"), "amount": amount, "renewed": renewed}
    )


def _deployed_model(api) -> TrainedModel:
    """Train a classifier on the table through the API (the worker) and deploy it."""
    frame = _table()
    res = api.post(
        "/api/v1/datasets/upload",
        {
            "file": SimpleUploadedFile("contracts.csv", frame.to_csv(index=False).encode()),
            "name": "contracts",
            "dataset_type": "tabular",
        },
        format="multipart",
    )
    assert res.status_code == 201, res.content
    kinds = {c["name"]: c["semantic_type"] for c in res.json()["columns_info"]}
    assert kinds["signed_on"] == "datetime", kinds
    pipe = create_pipeline(api, res.json()["id"], "renewed", "classification")
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["decision_tree"], "time_budget_s": 4},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"], 120)
    assert final["status"] == "completed", final
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    schema = {c["name"]: c for c in model.input_schema["columns"]}
    assert schema["signed_on"]["semantic_type"] == "datetime"
    dep = api.post("/api/v1/deployment/deploy", {"model_id": model.pk}, format="json")
    assert dep.status_code == 201, dep.content
    return model


def _single(api, model: TrainedModel, data):
    return api.post(
        "/api/v1/predictions/single", {"model_id": model.pk, "data": data}, format="json"
    )


def _batch(api, model: TrainedModel, frame: pd.DataFrame):
    upload = SimpleUploadedFile(
        "rows.csv", frame.drop(columns="renewed").to_csv(index=False).encode()
    )
    return api.post(
        "/api/v1/predictions/batch", {"model_id": model.pk, "file": upload}, format="multipart"
    )


def _finished(api, job_id: str) -> dict:
    return wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{job_id}").json(),
        lambda b: b["status"] in ("completed", "failed"),
        180,
    )


def test_single_refuses_a_date_that_does_not_read_and_keeps_missing_ones(api, owner, celery_worker):
    model = _deployed_model(api)
    good = {"signed_on": "25/12/2023", "amount": 101.5}
    assert _single(api, model, good).status_code == 200

    res = _single(api, model, [good, {"signed_on": "heavy", "amount": 99}])
    assert res.status_code == 400, res.content
    body = res.json()
    assert body["code"] == "invalid_rows"
    assert body["detail"] == f"data[1].signed_on: {MUST}."
    assert body["errors"] == {"data[1].signed_on": [MUST]}
    # A date no calendar has is no date either.
    res = _single(api, model, {"signed_on": "31/02/2023", "amount": 99})
    assert res.status_code == 400 and res.json()["errors"] == {"data[0].signed_on": [MUST]}

    # Missing values stay missing: null, an empty value, the missing-value words.
    rows = [{**good, "signed_on": v} for v in (None, "", "  ", "n/a", "NULL", "-")]
    res = _single(api, model, rows)
    assert res.status_code == 200, res.content
    assert len(res.json()["predictions"]) == len(rows)

    # On the stream, only the message at fault gets the error (they are scored together).
    answers = predict_many(
        user=owner,
        messages=[
            {"model_id": model.pk, "data": good},
            {"model_id": model.pk, "data": [good, {**good, "signed_on": "soon"}]},
            {"model_id": model.pk, "data": {**good, "signed_on": "n/a"}},
        ],
    )
    assert isinstance(answers[0], dict) and len(answers[0]["predictions"]) == 1
    assert isinstance(answers[1], InvalidInput)
    assert answers[1].errors == {"data[1].signed_on": [MUST]}
    assert isinstance(answers[2], dict) and len(answers[2]["predictions"]) == 1


def test_batch_refuses_dates_that_do_not_read_and_scores_missing_ones(
    api, owner, celery_worker, settings
):
    model = _deployed_model(api)
    frame = _table(60).astype({"signed_on": object})
    frame.loc[[4, 7, 30], "signed_on"] = ["heavy", "2023-13-45", "heavy"]
    res = _batch(api, model, frame)
    assert res.status_code == 400, res.content
    body = res.json()
    assert body["code"] == "unreadable_values"
    assert body["errors"] == {"signed_on": ["3 values are not dates, e.g. 'heavy' in row 6"]}
    assert "signed_on: 3 values are not dates, e.g. 'heavy' in row 6" in body["detail"]
    assert not BatchJob.objects.exists()

    # Empty cells and missing-value words are missing dates: the file is scored.
    frame = _table(60).astype({"signed_on": object})
    frame.loc[0:9, "signed_on"] = ""
    frame.loc[10:19, "signed_on"] = "n/a"
    res = _batch(api, model, frame)
    assert res.status_code == 202, res.content
    final = _finished(api, res.json()["job_id"])
    assert final["status"] == "completed" and final["rows_done"] == 60, final

    # Past the first chunk, the worker finds them and the job fails with the same reason.
    settings.VUR_BATCH_CHUNK_ROWS = 50
    frame = _table(120).astype({"signed_on": object})
    frame.loc[[70, 100], "signed_on"] = ["next week", "heavy"]
    res = _batch(api, model, frame)
    assert res.status_code == 202, res.content
    final = _finished(api, res.json()["job_id"])
    assert final["status"] == "failed", final
    assert "signed_on: 2 values are not dates, e.g. 'next week' in row 72" in final["error"]
