"""Forecasting jobs on a real worker: a series too short for the horizon is left out (logged, on
the model card, answered 404 when asked for), and a job started without training/start's
checks still refuses a grid mostly without values."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, wait_job
from training.tests.test_api import _upload_csv
from training.tests.test_forecast_inputs import _business_hours, _hourly_stations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_short_series_is_left_out_and_answered_as_too_short(api, celery_worker):
    ds = _upload_csv(api, "stations.csv", _hourly_stations())
    pipe = create_pipeline(api, ds["id"], "temp", "forecasting", forecast_horizon=24)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 15},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    from training.models import TrainingEvent

    events = TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    lines = [event.payload["message"] for event in events]
    assert any("Left out 1 series" in m and "'NEW'" in m for m in lines), lines

    best = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]["id"]
    card = api.get(f"/api/v1/models/{best}/").json()["input_schema"]
    assert card["series_ids"] == ["EWR", "JFK", "LGA"]
    assert [x["id"] for x in card["left_out_series"]] == ["NEW"]
    deployed = api.post("/api/v1/deployment/deploy", {"model_id": best}, format="json")
    assert deployed.status_code == 201, deployed.json()
    out = api.post("/api/v1/predictions/forecast", {"model_id": best}, format="json").json()
    assert [s["id"] for s in out["series"]] == ["EWR", "JFK", "LGA"]
    res = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "series_id": "NEW"}, format="json"
    )
    assert res.status_code == 404, res.json()
    assert res.json()["code"] == "series_left_out"
    assert "too little data" in res.json()["detail"] and "30 observations" in res.json()["detail"]
    res = api.post(
        "/api/v1/predictions/forecast", {"model_id": best, "series_id": "Mars"}, format="json"
    )
    assert res.status_code == 404 and res.json()["code"] == "series_not_found"


def test_a_job_queued_without_the_start_check_fails_on_a_sparse_grid(api, owner, celery_worker):
    from pipelines.models import Pipeline
    from training.models import TrainingJob
    from training.tasks import run_training_job

    ds = _upload_csv(api, "calls.csv", _business_hours())
    pipe = create_pipeline(api, ds["id"], "calls", "forecasting", time_column="hour")
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline=Pipeline.objects.get(pk=pipe["id"]),
        config={"algorithms": ["seasonal_naive"], "horizon": 24, "time_budget_s": 10},
    )
    run_training_job.apply_async(args=[str(job.pk)], queue="training")
    final = wait_job(api, str(job.pk), 120)
    assert final["status"] == "failed", final
    assert "687 of the 1287 steps" in final["error"] and "coarser frequency" in final["error"]
