"""A forecast asked for beyond the horizon its intervals were calibrated for says so in `notes`."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample, wait_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_horizon_beyond_the_calibrated_one_is_noted(api, celery_worker):
    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 10},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    best = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]["id"]
    deployed = api.post("/api/v1/deployment/deploy", {"model_id": best}, format="json")
    assert deployed.status_code == 201, deployed.json()

    within = api.post("/api/v1/predictions/forecast", {"model_id": best}, format="json").json()
    assert within["notes"] == []
    far = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "horizon": 500}, format="json"
    ).json()
    assert len(far["forecast"]) == 500
    assert far["notes"] == [
        "The intervals were calibrated on backtests of 12 steps; those of steps 13 to 500 reach "
        "beyond what the backtests checked and are less reliable the further they go."
    ]
    # Passengers are never negative: neither are the bounds, however far out.
    assert min(far["intervals"]["95"]["lower"]) >= 0.0
