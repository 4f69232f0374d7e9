"""Forecasting through the stack with a real worker: train with "auto", deploy, forecast."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import create_pipeline, upload_sample, wait_job

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
    assert stamps[0] == pd.Timestamp("1961-01-01")
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
    for bad in ({"horizon": 0}, {"horizon": 10_001}, {"level": [120]}):
        res = api.post("/api/v1/predictions/forecast", {"model_id": best, **bad}, format="json")
        assert res.status_code == 400, bad
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
