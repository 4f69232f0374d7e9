"""The spine with a real Celery worker on the real broker and database: upload, train with
"auto", leaderboard, deploy rank 1, predict single rows and a batch, ownership, cancel.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, sample_path, upload_sample, wait_for, wait_job
from modeling.models import TrainedModel
from training.models import TrainingEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_tabular_classification_from_upload_to_batch_predictions(api, other_api, celery_worker):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    res = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": "auto", "time_budget_s": 8},
        format="json",
    )
    assert res.status_code == 202, res.json()
    job_id = res.json()["job_id"]
    # The answer is read after the commit that enqueues the job: a quick worker may already
    # have claimed it.
    assert res.json()["status"] in ("queued", "running")
    final = wait_job(api, job_id)
    assert final["status"] == "completed", final
    assert final["progress"] == 1.0

    board = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"]
    assert len(board) >= 2
    assert [m["rank"] for m in board] == list(range(1, len(board) + 1))
    aucs = [m["test_metrics"]["auc"] for m in board]
    assert aucs[0] >= 0.7, aucs
    assert {"accuracy", "auc", "precision", "recall", "f1"} <= set(board[0]["test_metrics"])
    assert all(m["fitted_form"] is None for m in board)  # a forecasters' field
    best = TrainedModel.objects.get(pk=board[0]["id"])
    with default_storage.open(best.artifact, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == best.sha256 == board[0]["sha256"]
    assert default_storage.exists(best.card_file)
    kinds = set(TrainingEvent.objects.filter(job_id=job_id).values_list("kind", flat=True))
    assert {"status", "progress", "log"} <= kinds

    row = pd.read_csv(sample_path("credit_scoring.csv")).drop(columns=["Status"]).iloc[0]
    row = {
        k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()
    }
    not_yet = api.post(
        "/api/v1/predictions/single", {"model_id": best.pk, "data": row}, format="json"
    )
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "model_not_deployed"

    dep = api.post(
        "/api/v1/deployment/deploy", {"model_id": best.pk, "target": "api"}, format="json"
    )
    assert dep.status_code == 201 and dep.json()["status"] == "active"
    assert (
        other_api.post(
            "/api/v1/deployment/deploy", {"model_id": best.pk}, format="json"
        ).status_code
        == 404
    )

    row["Income"] = None  # a missing value is fine; the pipeline imputes it
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": best.pk, "data": [row, row], "return_probabilities": True},
        format="json",
    )
    assert single.status_code == 200, single.json()
    out = single.json()
    assert set(out["predictions"]) <= {"good", "bad"} and len(out["predictions"]) == 2
    probabilities = out["probabilities"][0].values()
    # Each is rounded to 6 decimals: the sum is 1 within half a millionth per class.
    assert abs(sum(probabilities) - 1) <= len(probabilities) * 5e-7 + 1e-12
    assert set(out["probabilities"][0]) == {"good", "bad"}
    assert len(out["prediction_ids"]) == 2 and out["latency_ms"] > 0

    bad_rows = [
        ({**row, "Age": "old"}, "invalid_rows"),
        ({**row, "Colour": "red"}, "invalid_rows"),
        ({k: v for k, v in row.items() if k != "Age"}, "invalid_rows"),
    ]
    for data, code in bad_rows:
        res = api.post(
            "/api/v1/predictions/single", {"model_id": best.pk, "data": data}, format="json"
        )
        assert res.status_code == 400 and res.json()["code"] == code, res.json()
    nan = api.post(
        "/api/v1/predictions/single",
        data=b'{"model_id": %d, "data": {"Age": NaN}}' % best.pk,
        content_type="application/json",
    )
    assert nan.status_code == 400
    inf = api.post(
        "/api/v1/predictions/single",
        data=b'{"model_id": %d, "data": {"Age": 1e999}}' % best.pk,
        content_type="application/json",
    )
    assert inf.status_code == 400
    assert (
        other_api.post(
            "/api/v1/predictions/single", {"model_id": best.pk, "data": row}, format="json"
        ).status_code
        == 404
    )
    assert other_api.get(f"/api/v1/training/{job_id}/status").status_code == 404
    assert other_api.get(f"/api/v1/models/{best.pk}/").status_code == 404

    frame = pd.read_csv(sample_path("credit_scoring.csv")).drop(columns=["Status"]).head(700)
    batch = api.post(
        "/api/v1/predictions/batch",
        {
            "file": SimpleUploadedFile("rows.csv", frame.to_csv(index=False).encode()),
            "model_id": best.pk,
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
    assert status["rows_done"] == status["rows_total"] == 700
    assert other_api.get(f"/api/v1/predictions/batch/{bid}").status_code == 404
    download = api.get(f"/api/v1/predictions/batch/{bid}/download")
    assert download.status_code == 200
    result = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert len(result) == 700
    assert set(result[0]) >= {"Seniority", "prediction", "proba_good", "proba_bad"}
    assert {r["prediction"] for r in result} <= {"good", "bad"}


def test_failed_training_ends_failed_with_a_readable_error(api, celery_worker):
    """The feature has values only in the rows without a label: the run finds nothing to learn
    from (only a run that reads the rows can tell), fails with that reason and saves nothing."""
    n = 40
    frame = pd.DataFrame(
        {"x": [float(i) if i < n // 2 else None for i in range(n)],
         "y": [None if i < n // 2 else "ab"[i % 2] for i in range(n)]}
    )  # fmt: skip
    res = api.post(
        "/api/v1/datasets/upload",
        {
            "file": SimpleUploadedFile("apart.csv", frame.to_csv(index=False).encode()),
            "name": "apart",
        },
        format="multipart",
    )
    pipe = create_pipeline(api, res.json()["id"], "y", "classification")
    job = api.post(
        "/api/v1/training/start", {"pipeline_id": pipe["id"], "time_budget_s": 3}, format="json"
    ).json()
    final = wait_job(api, job["job_id"], 60)
    assert final["status"] == "failed"
    assert final["error"] == (
        "Every feature column (x) is empty in the rows with a target; there is nothing to learn "
        "from."
    )
    assert TrainedModel.objects.count() == 0


def _train_linear(api, frame: pd.DataFrame, target: str, problem_type: str) -> tuple[dict, dict]:
    """Upload `frame`, train a linear model on it for 5 s; (pipeline, completed job)."""
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("table.csv", frame.to_csv(index=False).encode()), "name": "t"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    pipe = create_pipeline(api, res.json()["id"], target, problem_type)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 5},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"], 120)
    assert final["status"] == "completed", final
    return pipe, final


def test_rows_without_a_target_are_left_out_and_said_so(api, celery_worker):
    frame = pd.read_csv(sample_path("penguins.csv"))
    frame.loc[frame.index % 7 == 0, "species"] = None  # unlabelled rows, as users upload them
    pipe, job = _train_linear(api, frame, "species", "classification")
    unlabelled = int(frame["species"].isna().sum())
    logs = TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    assert any(f"{unlabelled} rows have no value of 'species'" in str(e.payload) for e in logs), [
        e.payload for e in logs
    ]
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    assert set(model.classes) <= {"Adelie", "Chinstrap", "Gentoo"}


def test_a_regression_target_value_that_is_not_a_number_is_named_apart(api, celery_worker):
    """'oops' among the prices: the log names it (with its row) as the dataset page and the
    forecasting log do, instead of counting it among the rows without a value."""
    frame = pd.read_csv(sample_path("sacramento_housing.csv")).astype({"price": object})
    frame.loc[40, "price"] = "oops"  # the 41st data row
    frame.loc[[100, 200], "price"] = None
    _, job = _train_linear(api, frame, "price", "regression")
    lines = [
        e.payload["message"] for e in TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    ]
    assert (
        "'price' has 1 value that is not a number ('oops' in row 41) and 2 rows have no value; "
        "they are left out of training and of the hold-out." in lines
    ), lines
    assert not any("3 rows have no value" in m for m in lines), lines


def test_requests_are_read_in_the_notation_of_the_training_file(api, celery_worker):
    import numpy as np

    rng = np.random.default_rng(0)
    days = pd.date_range("2021-01-01", periods=200, freq="D")
    price = rng.uniform(500, 5000, len(days)).round(2)
    frame = pd.DataFrame(
        {
            "price": [f"${p:,.2f}" for p in price],  # "$1,234.50": read from text, "," groups
            "sold": days.strftime("%d/%m/%Y"),  # day first
            "y": 0.01 * price + 10 * days.month + rng.normal(0, 1, len(days)),
        }
    )
    pipe, _ = _train_linear(api, frame, "y", "regression")
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    parse = {c["name"]: c.get("parse") for c in model.input_schema["columns"]}
    assert parse["price"]["thousands"] == "," and parse["sold"]["formats"][0] == "%d/%m/%Y"
    dep = api.post("/api/v1/deployment/deploy", {"model_id": model.pk}, format="json")
    assert dep.status_code == 201, dep.content

    def predict(row: dict) -> float:
        answer = api.post(
            "/api/v1/predictions/single", {"model_id": model.pk, "data": row}, format="json"
        )
        assert answer.status_code == 200, answer.content
        return answer.json()["predictions"][0]

    as_written = predict({"price": "$1,300.00", "sold": "03/04/2021"})
    plain = predict({"price": 1300.0, "sold": "2021-04-03"})
    assert as_written == pytest.approx(plain)
    assert as_written != pytest.approx(predict({"price": 1300.0, "sold": "2021-03-04"}))


def test_cancel_stops_a_running_job_and_leaves_nothing(api, owner, celery_worker):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": "auto", "time_budget_s": 120},
        format="json",
    ).json()
    running = wait_for(
        lambda: api.get(f"/api/v1/training/{job['job_id']}/status").json(),
        lambda b: b["status"] == "running" and b["progress"] > 0,
        60,
    )
    assert running["status"] == "running"
    asked = time.monotonic()
    res = api.post(f"/api/v1/training/{job['job_id']}/cancel")
    assert res.status_code == 200
    final = wait_job(api, job["job_id"], 30)
    assert final["status"] == "cancelled"
    assert time.monotonic() - asked < 10
    assert TrainedModel.objects.count() == 0
    folder = f"models/{owner.pk}/{job['job_id']}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder)[1] == []
    again = api.post(f"/api/v1/training/{job['job_id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_training_uses_the_saved_preprocessing_config_and_selection(api, celery_worker):
    from modeling.artifacts import artifact_load

    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    config = {
        "missing_values_strategy": "median",
        "scaling_method": "minmax",
        "categorical_encoding": "ordinal",
    }
    assert (
        api.post(
            "/api/v1/preprocessing/apply",
            {"pipeline_id": pipe["id"], "config": config},
            format="json",
        ).status_code
        == 200
    )
    chosen = api.post(
        "/api/v1/features/select",
        {"pipeline_id": pipe["id"], "method": "model_based", "k": 6},
        format="json",
    ).json()["selected"]
    generated = api.post(
        "/api/v1/features/generate",
        {"pipeline_id": pipe["id"], "interactions": True},
        format="json",
    ).json()["features"]
    crossed = [f["name"] for f in generated if f["kind"] == "interaction"]
    # Pairs of the selected numeric columns only.
    assert crossed and all(set(n.split("*")) <= set(chosen) for n in crossed)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 5},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    text = repr(artifact_load(model.artifact, model.sha256))
    assert "MinMaxScaler" in text and "OrdinalEncoder" in text and "OneHotEncoder" not in text
    assert [c["name"] for c in model.input_schema["columns"]] == chosen
    fitted = artifact_load(model.artifact, model.sha256)
    assert set(crossed) <= set(fitted[:-1].get_feature_names_out())
    imp = api.get(f"/api/v1/features/importance?model_id={model.pk}").json()
    assert imp["method"] == "model" and imp["model_id"] == model.pk  # the linear model's |coef|
    values = [i["importance"] for i in imp["importances"]]
    assert values and values == sorted(values, reverse=True)
