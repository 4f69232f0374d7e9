"""Forecasting through the stack with a real worker: train with "auto", deploy, forecast."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import create_pipeline, upload_sample, wait_job
from pipelines.models import Pipeline

pytestmark = pytest.mark.django_db(transaction=True)


def test_monthly_series_forecast_with_intervals(api, other_api, celery_worker):
    ds = upload_sample(api, "series_airpassengers.csv")
    assert ds["dataset_type"] == "time_series"
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    job = api.post(
        "/api/v1/training/start", {"pipeline_id": pipe["id"], "time_budget_s": 15}, format="json"
    ).json()
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    board = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"]
    algos = [m["algorithm"] for m in board]
    assert "seasonal_naive" in algos and len(algos) >= 3
    assert board[0]["primary_metric"] == "mase"
    mases = [m["primary_value"] for m in board]
    assert mases == sorted(mases)
    assert {"mase", "smape", "rmse", "mae"} <= set(board[0]["test_metrics"])

    best = board[0]["id"]
    assert (
        api.post("/api/v1/deployment/deploy", {"model_id": best}, format="json").status_code == 201
    )
    res = api.post("/api/v1/predictions/forecast", {"model_id": best}, format="json")
    assert res.status_code == 200, res.json()
    out = res.json()
    stamps = pd.to_datetime(out["timestamps"])
    assert len(stamps) == 12 and len(out["forecast"]) == 12
    assert stamps[0] == pd.Timestamp("1961-01-01", tz="UTC")
    assert out["timestamps"][0] == "1961-01-01T00:00:00+00:00"
    assert (stamps[1:] - stamps[:-1]).days.min() >= 28
    for level in ("80", "95"):
        lower, upper = out["intervals"][level]["lower"], out["intervals"][level]["upper"]
        assert all(lo <= f <= up for lo, f, up in zip(lower, out["forecast"], upper, strict=True))
    assert all(
        w95 >= w80
        for w80, w95 in zip(
            [
                u - lo
                for lo, u in zip(
                    out["intervals"]["80"]["lower"], out["intervals"]["80"]["upper"], strict=True
                )
            ],
            [
                u - lo
                for lo, u in zip(
                    out["intervals"]["95"]["lower"], out["intervals"]["95"]["upper"], strict=True
                )
            ],
            strict=True,
        )
    )
    short = api.post(
        "/api/v1/predictions/forecast",
        {"model_id": best, "horizon": 3, "level": [50]},
        format="json",
    )
    assert short.status_code == 200 and len(short.json()["forecast"]) == 3
    assert set(short.json()["intervals"]) == {"50"}
    bad_requests = (
        {"horizon": 0},
        {"horizon": 10_001},
        {"level": [120]},
        {"level": [97.5]},  # not silently answered as 97
        {"level": [99, 99.9]},
        {"level": [80, 80]},
    )
    for bad in bad_requests:
        res = api.post("/api/v1/predictions/forecast", {"model_id": best, **bad}, format="json")
        assert res.status_code == 400, bad
        assert res.json()["code"] in ("bad_horizon", "bad_level"), res.json()
        assert "array" not in res.json()["detail"], res.json()  # no numpy text
    # 10,000 months after 1960 run past 2262: a clear 400, not a 500 from pandas.
    past = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "horizon": 10_000}, format="json"
    )
    assert past.status_code == 400 and past.json()["code"] == "horizon_past_calendar"
    assert "choose a horizon of 3616 or fewer" in past.json()["detail"]
    whole = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "level": [90.0]}, format="json"
    )
    assert whole.status_code == 200 and set(whole.json()["intervals"]) == {"90"}
    assert (
        other_api.post(
            "/api/v1/predictions/forecast", {"model_id": best}, format="json"
        ).status_code
        == 404
    )
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": best, "data": {"month": "1961-01-01"}},
        format="json",
    )
    assert single.status_code == 400 and single.json()["code"] == "use_forecast"


def _upload_frame(api, frame: pd.DataFrame, name: str) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, frame.to_csv(index=False).encode()), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.json()
    return res.json()


def test_bad_forecasting_input_gets_a_4xx_or_a_clear_failed_job(api, celery_worker):
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    flat = _upload_frame(api, pd.DataFrame({"day": days, "sales": 5.0}), "flat.csv")
    body = {"name": "f", "dataset_id": flat["id"], "target_column": "sales",
            "problem_type": "forecasting", "forecast_horizon": 7}  # fmt: skip
    res = api.post("/api/v1/pipelines/", body, format="json")
    assert res.status_code == 400
    assert "same value (5.0) in every row" in res.json()["errors"]["target_column"][0]

    wavy = _upload_frame(
        api, pd.DataFrame({"day": days, "sales": [i % 7 for i in range(120)]}), "wavy.csv"
    )
    for horizon in (0, 10_001):
        res = api.post(
            "/api/v1/pipelines/",
            {"name": "h", "dataset_id": wavy["id"], "target_column": "sales",
             "problem_type": "forecasting", "forecast_horizon": horizon},
            format="json",
        )  # fmt: skip
        assert res.status_code == 400 and list(res.json()["errors"]) == ["forecast_horizon"]

    one = _upload_frame(api, pd.DataFrame({"day": ["2024-01-01"], "sales": [3.0]}), "one.csv")
    pipe = create_pipeline(api, one["id"], "sales", "forecasting", time_column="day")
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400 and res.json()["code"] == "too_few_rows"

    # Eight days cannot be forecast at any horizon (8 to train a backtest on, one to check it):
    # refused when the pipeline is made, and, for a pipeline holding such a dataset anyway,
    # before a job is queued. Ten days are forecast 7 steps ahead, checked on 2 (a warning).
    eight = _upload_frame(api, pd.DataFrame({"day": days[:8], "sales": range(8)}), "eight.csv")
    body = {"name": "s", "dataset_id": eight["id"], "target_column": "sales",
            "problem_type": "forecasting", "forecast_horizon": 7}  # fmt: skip
    res = api.post("/api/v1/pipelines/", body, format="json")
    assert res.status_code == 400
    assert res.json()["errors"]["forecast_horizon"] == [
        "The series spans only 8 steps (2024-01-01 to 2024-01-08): at least 9 are needed to "
        "forecast."
    ]
    res = api.post("/api/v1/pipelines/", {**body, "forecast_horizon": None}, format="json")
    assert res.status_code == 400 and "at least 9" in res.json()["errors"]["forecast_horizon"][0]
    ten = _upload_frame(api, pd.DataFrame({"day": days[:10], "sales": range(10)}), "ten.csv")
    pipe = create_pipeline(api, ten["id"], "sales", "forecasting", forecast_horizon=7)
    Pipeline.objects.filter(pk=pipe["id"]).update(dataset_id=eight["id"])
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400 and res.json()["code"] == "series_too_short"
    assert "8 observations at frequency D; at least 9 are needed" in res.json()["detail"]
    Pipeline.objects.filter(pk=pipe["id"]).update(dataset_id=ten["id"])
    job = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json").json()
    final = wait_job(api, job["job_id"], 120)
    assert final["status"] == "completed", final
    board = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"]
    assert board and all(m["input_schema"]["horizon"] == 7 for m in board)
    assert all(m["input_schema"]["checked_horizon"] == 2 for m in board)
    assert api.post("/api/v1/deployment/deploy", {"model_id": board[0]["id"]}, format="json")
    res = api.post("/api/v1/predictions/forecast", {"model_id": board[0]["id"]}, format="json")
    assert res.status_code == 200, res.content
    assert len(res.json()["forecast"]) == 7
    assert "calibrated on backtests of 2 steps; those of steps 3 to 7" in res.json()["notes"][0]


def test_several_series_in_one_file_are_forecast_per_series(api, celery_worker):
    ds = upload_sample(api, "series_aus_arrivals.csv")
    assert ds["id_column"] == "origin"
    pipe = create_pipeline(api, ds["id"], "arrivals", "forecasting", forecast_horizon=8)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive", "ets"], "time_budget_s": 10},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    best = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]["id"]
    api.post("/api/v1/deployment/deploy", {"model_id": best}, format="json")
    out = api.post("/api/v1/predictions/forecast", {"model_id": best}, format="json").json()
    assert {s["id"] for s in out["series"]} == {"Japan", "NZ", "UK", "US"}
    assert all(len(s["forecast"]) == 8 for s in out["series"])
    uk = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "series_id": "UK"}, format="json"
    ).json()
    assert uk["forecast"] == next(s for s in out["series"] if s["id"] == "UK")["forecast"]
    missing = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "series_id": "Mars"}, format="json"
    )
    assert missing.status_code == 404


def test_whole_number_store_ids_name_their_series_as_written(api, celery_worker):
    """Stores numbered 1 and 2 (a numeric column, read as floats) are series 1 and 2, not
    1.0 and 2.0: forecasts name them so, ask for them by 1 or "1", and monitoring's reference
    and the live chart's history know them by the same names."""
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    frame = pd.DataFrame(
        {
            "day": list(days) * 2,
            "store": [1] * 70 + [2] * 70,
            "sales": [10.0 + (i % 7) for i in range(70)] + [50.0 + 2 * (i % 7) for i in range(70)],
        }
    )
    ds = _upload_frame(api, frame, "stores.csv")
    # the numbered stores split the table into two daily series, found at upload
    assert (ds["dataset_type"], ds["time_column"], ds["id_column"]) == (
        "time_series",
        "day",
        "store",
    )
    pipe = create_pipeline(api, ds["id"], "sales", "forecasting", forecast_horizon=7)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 10},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    model = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]
    ids = model["input_schema"]["series_ids"]
    assert ids == [1, 2] and all(type(i) is int for i in ids)  # not 1.0
    assert set(model["input_schema"]["last_timestamps"]) == {"1", "2"}
    api.post("/api/v1/deployment/deploy", {"model_id": model["id"]}, format="json")
    out = api.post("/api/v1/predictions/forecast", {"model_id": model["id"]}, format="json")
    assert [repr(s["id"]) for s in out.json()["series"]] == ["1", "2"]
    for asked in (2, "2"):
        one = api.post(
            "/api/v1/predictions/forecast",
            {"model_id": model["id"], "series_id": asked},
            format="json",
        )
        assert one.status_code == 200, one.content
        assert one.json()["forecast"] == out.json()["series"][1]["forecast"]

    from modeling.models import TrainedModel
    from modeling.pages import series_history
    from training.reference_store import reference_load

    stored = TrainedModel.objects.get(pk=model["id"])
    reference = reference_load(stored.card["monitoring_reference"])
    assert set(reference["series"]) == {"1", "2"}
    history = series_history(stored, "2")
    assert history["series_id"] == 2 and history["values"][-1] == 50.0 + 2 * (69 % 7)
