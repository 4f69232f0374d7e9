"""Forecasting files with rows that have no target value, and with columns a forecaster does not
read: the job log counts the empty rows, says where the forecast starts when the last rows are
empty, and names the unused columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import create_pipeline, wait_job
from training.forecasting import ForecastSettings, run_forecast_automl
from training.tests.test_api import _upload_csv


def _approval() -> pd.DataFrame:
    """60 quarters with a season; the first value, two inner values and the last two are empty
    (as in R's `presidents`, which ends with `1972 Q3,` and `1972 Q4,`)."""
    rng = np.random.default_rng(0)
    stamps = pd.date_range("1958-01-01", periods=60, freq="QS")
    values = 50 + 8 * np.sin(np.arange(60) * np.pi / 2) + rng.normal(0, 2, 60)
    values[[0, 20, 31, 58, 59]] = np.nan
    return pd.DataFrame({"quarter": stamps, "approval": values})


def _run(frame: pd.DataFrame, **kwargs) -> tuple[list, list[tuple[str, str]]]:
    logs: list[tuple[str, str]] = []
    settings = ForecastSettings(
        time_column="quarter",
        target="approval",
        horizon=8,
        algorithms=["seasonal_naive"],
        time_budget_s=5,
        **kwargs,
    )
    results = run_forecast_automl(
        frame,
        settings,
        on_event=lambda kind, p: logs.append((p["level"], p["message"])) if kind == "log" else None,
    )
    return results, logs


def test_trailing_rows_without_a_value_are_counted_and_the_forecast_origin_said():
    results, logs = _run(_approval())
    assert (
        "info",
        "5 rows have no value of 'approval': 1 before the first value and 2 after the last are "
        "left out; 2 between values are filled like missing steps.",
    ) in logs
    assert (
        "warning",
        "The last 2 rows, from 1972-07-01, have no value of 'approval': forecasts start after "
        "the last observed value, 1972-04-01.",
    ) in logs
    model = results[0].model
    assert model.input_schema()["last_timestamps"] == {"None": "1972-04-01T00:00:00"}
    assert model.predict(8)["timestamps"][0] == "1972-07-01T00:00:00"


def test_series_whose_last_rows_are_empty_are_named():
    one, two = _approval(), _approval()
    two.loc[57, "approval"] = np.nan
    frame = pd.concat([one.assign(office="A"), two.assign(office="B")], ignore_index=True)
    _, logs = _run(frame, id_column="office")
    assert (
        "warning",
        "2 series end with rows without a value of 'approval'; their forecasts start after "
        "their last observed value: 'A' after 1972-04-01 (2 empty), 'B' after 1972-01-01 "
        "(3 empty).",
    ) in logs


def test_a_full_series_logs_no_empty_rows():
    frame = _approval().iloc[1:58]
    frame = frame.assign(approval=frame["approval"].interpolate())
    _, logs = _run(frame)
    assert not any("no value of" in m for _, m in logs)


@pytest.mark.django_db(transaction=True)
def test_a_job_names_the_columns_it_does_not_use_and_the_leading_empty_rows(api, celery_worker):
    from training.models import TrainingEvent

    years = pd.date_range("1851-01-01", periods=60, freq="YS")
    rng = np.random.default_rng(1)
    temp = np.cumsum(rng.normal(0, 0.1, 60))
    temp[:12] = np.nan  # measured from 1863 on; emissions from the start
    frame = pd.DataFrame(
        {"year": years.strftime("%Y-%m-%d"), "temp": temp, "carbon": np.arange(60) * 3.0}
    )
    ds = _upload_csv(api, "temp_carbon.csv", frame)
    pipe = create_pipeline(
        api, ds["id"], "temp", "forecasting", time_column="year", forecast_horizon=6
    )
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 10},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    lines = [
        e.payload["message"] for e in TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    ]
    assert (
        "The forecasters read 'year', 'temp'; 'carbon' is not used (each series is forecast "
        "from its own history)." in lines
    ), lines
    assert "12 rows have no value of 'temp': 12 before the first value are left out." in lines


@pytest.mark.django_db(transaction=True)
def test_a_job_names_a_target_value_that_is_not_a_number_apart_from_empty_ones(api, celery_worker):
    """`oops` among the numbers: the log names it (with its row) as the dataset page does,
    instead of counting it among the rows without a value."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.models import TrainingEvent

    frame = _approval().iloc[1:58]
    text = frame.assign(quarter=frame["quarter"].dt.strftime("%Y-%m-%d")).astype(object)
    text.loc[text.index[20], "approval"] = "oops"  # the 21st data row
    csv = text.to_csv(index=False)
    ds = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("approval.csv", csv.encode()), "name": "approval"},
        format="multipart",
    ).json()
    pipe = create_pipeline(api, ds["id"], "approval", "forecasting", forecast_horizon=8)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive"], "time_budget_s": 10},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    lines = [
        e.payload["message"] for e in TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    ]
    assert (
        "'approval' has 1 value that is not a number ('oops' in row 21) and 2 rows have no "
        "value: 3 between values are filled like missing steps." in lines
    ), lines
