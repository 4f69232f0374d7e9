"""Training API without a worker: input checks and enqueue-after-commit."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db


def test_training_start_rejects_bad_choices(api):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    for body, field in [
        ({"algorithms": ["no_such_algo"]}, "algorithms"),
        ({"algorithms": ["ets"]}, "algorithms"),
        ({"algorithms": "everything"}, "algorithms"),
        ({"validation_split": 0.9}, "validation_split"),
        (
            {
                "model_config": {
                    "algorithm": "random_forest",
                    "hyperparameters": {"n_estimators": -1},
                }
            },
            "hyperparameters.n_estimators",
        ),
    ]:
        res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"], **body}, format="json")
        assert res.status_code == 400, (body, res.json())
        assert field in res.json()["errors"], res.json()
    from training.models import TrainingJob

    assert TrainingJob.objects.count() == 0


def test_training_start_enqueues_after_commit(api, django_capture_on_commit_callbacks):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 202
    assert len(callbacks) == 1


def _upload_csv(client, name: str, frame) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = frame.to_csv(index=False).encode()
    res = client.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, data), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()


def _irregular_frame():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    seconds = np.sort(rng.uniform(0, 60 * 86_400, 120))
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame(
        {"at": stamps.strftime("%Y-%m-%d %H:%M:%S"), "y": rng.normal(100, 5, 120).round(2)}
    )


def test_forecast_start_refuses_an_irregular_time_column_up_front(api):
    from pipelines.models import Pipeline
    from training.models import TrainingJob

    ds = _upload_csv(api, "irregular.csv", _irregular_frame())
    pipe = create_pipeline(api, ds["id"], "y", "forecasting", time_column="at")
    before = Pipeline.objects.get(pk=pipe["id"]).status
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400, res.content
    body = res.json()
    assert body["code"] == "irregular_series"
    assert "regular frequency" in body["errors"]["time_column"][0]
    assert "regular grid" in body["detail"]
    assert TrainingJob.objects.count() == 0
    assert Pipeline.objects.get(pk=pipe["id"]).status == before


def test_forecast_start_checks_a_time_column_other_than_the_profiled_one(api):
    """The upload profiled `day` (daily); a pipeline on the irregular `at` column is refused,
    one on `day` is queued."""
    import pandas as pd

    frame = _irregular_frame()
    frame.insert(0, "day", pd.date_range("2024-01-01", periods=len(frame)).strftime("%Y-%m-%d"))
    ds = _upload_csv(api, "two_clocks.csv", frame)
    assert ds["time_column"] == "day"
    odd = create_pipeline(api, ds["id"], "y", "forecasting", time_column="at")
    res = api.post("/api/v1/training/start", {"pipeline_id": odd["id"]}, format="json")
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "irregular_series"
    daily = create_pipeline(api, ds["id"], "y", "forecasting", time_column="day")
    res = api.post("/api/v1/training/start", {"pipeline_id": daily["id"]}, format="json")
    assert res.status_code == 202, res.content


def test_forecast_start_refuses_a_grid_mostly_without_values(api):
    """Hourly calls on weekday business hours only: more than half the hourly grid would be
    invented, so training/start answers 400 (no job) saying how many steps are missing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.models import TrainingJob
    from training.tests.test_forecast_inputs import _business_hours

    data = _business_hours().to_csv(index=False).encode()
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("calls.csv", data), "name": "calls", "time_column": "hour"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    pipe = create_pipeline(api, res.json()["id"], "calls", "forecasting", time_column="hour")
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400, res.content
    body = res.json()
    assert body["code"] == "series_too_sparse"
    assert "687 of the 1287 steps" in body["detail"] and "coarser frequency" in body["detail"]
    assert TrainingJob.objects.count() == 0


def test_a_horizon_longer_than_a_short_history_holds_is_accepted_with_a_warning(api, client, owner):
    """24 monthly points: a 20-step horizon (it would need 28 points to be checked in full) is
    accepted and queued; the setup form warns that only 16 steps are checked."""
    from training.tests.test_forecast_inputs import _monthly

    ds = _upload_csv(api, "short24.csv", _monthly())
    body = {"name": "d", "dataset_id": ds["id"], "target_column": "deaths",
            "problem_type": "forecasting", "forecast_horizon": 20}  # fmt: skip
    made = api.post("/api/v1/pipelines/", body, format="json")
    assert made.status_code == 201, made.content
    res = api.post("/api/v1/training/start", {"pipeline_id": made.json()["id"]}, format="json")
    assert res.status_code == 202, res.content
    client.force_login(owner)
    note = client.post(f"/pipelines/new/{ds['id']}/horizon-note/", {"forecast_horizon": "20"})
    assert note.status_code == 200
    assert note.context["horizon_note"] == (
        "The series holds 24 steps, so backtests can check forecasts only 16 steps ahead, not "
        "20: the models are ranked on those 16 steps, and steps 17 to 20 and their intervals "
        "are extrapolated. A horizon of 16 or fewer is checked in full."
    )


def test_forecast_start_queues_several_series_when_only_one_is_too_short(api):
    from training.tests.test_forecast_inputs import _hourly_stations

    ds = _upload_csv(api, "stations.csv", _hourly_stations())
    assert ds["id_column"] == "origin"
    pipe = create_pipeline(api, ds["id"], "temp", "forecasting", forecast_horizon=24)
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 202, res.content


def test_job_list_filters_by_status_and_pipeline(api, owner, other_api):
    from conftest import pipeline_on_sample
    from training.models import TrainingJob

    first = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    second = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    failed = TrainingJob.objects.create(owner=owner, pipeline=first, status="failed")
    done = TrainingJob.objects.create(owner=owner, pipeline=first, status="completed")
    other = TrainingJob.objects.create(owner=owner, pipeline=second, status="failed")

    def ids(query: str) -> set[str]:
        res = api.get(f"/api/v1/training/?{query}")
        assert res.status_code == 200, res.json()
        return {job["job_id"] for job in res.json()["results"]}

    assert ids("status=failed") == {str(failed.pk), str(other.pk)}
    assert ids(f"pipeline_id={first.pk}") == {str(failed.pk), str(done.pk)}
    assert ids(f"status=completed&pipeline_id={second.pk}") == set()
    assert ids("status=&pipeline_id=") == {str(failed.pk), str(done.pk), str(other.pk)}
    assert other_api.get("/api/v1/training/?status=failed").json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=broken", "status"),
        ("pipeline_id=abc", "pipeline_id"),
        ("pipeline_id=0", "pipeline_id"),
    ],
)
def test_job_list_refuses_a_malformed_filter(api, query, field):
    res = api.get(f"/api/v1/training/?{query}")
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "validation_error" and list(body["errors"]) == [field]
    assert body["detail"].startswith(f"{field}: ")


def test_a_second_start_while_the_pipelines_job_is_queued_or_running_answers_409(api):
    from training.models import TrainingJob

    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    first = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    for status in ("queued", "running"):
        TrainingJob.objects.filter(pk=job_id).update(status=status)
        again = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
        assert again.status_code == 409, again.json()
        body = again.json()
        assert body["code"] == "training_in_progress"
        assert body["detail"] == (
            f"This pipeline already has a training job {status} (job {job_id}); wait for it to "
            "end or cancel it before starting another."
        )
        assert body["errors"] == {"pipeline_id": [f"training job {job_id} is {status}"]}
        assert TrainingJob.objects.count() == 1  # nothing was queued
    other = create_pipeline(api, ds["id"], "island", "classification")
    assert (
        api.post("/api/v1/training/start", {"pipeline_id": other["id"]}, format="json").status_code
        == 202
    )  # another pipeline of the same person is free
    TrainingJob.objects.filter(pk=job_id).update(status="completed")
    after = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert after.status_code == 202
