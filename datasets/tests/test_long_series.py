"""Series longer than 292 years (more than a nanosecond Timedelta holds): upload, profile,
statistics and a forecasting pipeline trained on them; dates pandas cannot hold answer a clear
400; an unexpected profiling failure never answers 500.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, wait_job
from datasets import columns, profiling, timeseries
from datasets.models import Dataset


def _yearly(start: int, end: int = 2008, fmt: str = "{}-01-01") -> bytes:
    """A yearly series like the sunspot numbers: one row per year from `start` to `end`."""
    years = np.arange(start, end + 1)
    phase = 2 * np.pi * (years - start) / 11.0
    values = (80 + 60 * np.sin(phase) + np.random.default_rng(3).normal(0, 5, len(years))).round(1)
    frame = pd.DataFrame({"date": [fmt.format(y) for y in years], "sunspots": values})
    return frame.to_csv(index=False).encode()


def _upload(api, data: bytes, **fields):
    return api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("sunspots.csv", data), "name": "sunspots", **fields},
        format="multipart",
    )


def test_series_facts_of_three_centuries_do_not_overflow():
    stamps = pd.Series(pd.to_datetime([f"{y}-12-31" for y in range(1700, 2009)]))
    facts = timeseries.series_facts(stamps, None)
    assert facts["frequency"] == "YE" and facts["regular"] and facts["gaps"] == 0
    gappy = stamps.drop(index=[5, 100])
    facts = timeseries.series_facts(gappy, None)
    assert facts["regular"] and facts["gaps"] == 2
    # Two points further apart than int64 nanoseconds reach: no frequency, no crash.
    assert profiling.infer_frequency([pd.DatetimeIndex(["1680-01-01", "2260-01-01"])]) is None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["{}-01-01", "{}-12-31"])
def test_yearly_series_from_1700_uploads_and_is_profiled(api, other_api, fmt):
    res = _upload(api, _yearly(1700, fmt=fmt))
    assert res.status_code == 201, res.json()
    ds = res.json()
    assert ds["dataset_type"] == "time_series"
    assert ds["time_column"] == "date" and ds["num_rows"] == 309
    assert ds["frequency"] == ("YS" if fmt.endswith("01-01") else "YE")
    stats = api.get(f"/api/v1/datasets/{ds['id']}/statistics")
    assert stats.status_code == 200, stats.json()
    body = stats.json()
    date_stats = body.get("date") or body.get("columns", {}).get("date")
    assert date_stats["min"].startswith("1700") and date_stats["gaps"] == 0
    check = api.post(f"/api/v1/datasets/{ds['id']}/validate")
    assert check.status_code == 200 and check.json()["detected"]["time_column"] == "date"
    assert api.get(f"/api/v1/datasets/{ds['id']}/preview").status_code == 200
    assert other_api.get(f"/api/v1/datasets/{ds['id']}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_yearly_series_from_1700_trains_a_forecaster(api, celery_worker):
    ds = _upload(api, _yearly(1700)).json()
    pipe = create_pipeline(api, ds["id"], "sunspots", "forecasting", forecast_horizon=5)
    start = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["seasonal_naive", "ets"], "time_budget_s": 6},
        format="json",
    )
    assert start.status_code == 202, start.json()
    final = wait_job(api, start.json()["job_id"])
    assert final["status"] == "completed", final
    best = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]
    api.post("/api/v1/deployment/deploy", {"model_id": best["id"], "target": "api"}, format="json")
    out = api.post("/api/v1/predictions/forecast", {"model_id": best["id"]}, format="json")
    assert out.status_code == 200, out.json()
    body = out.json()
    assert len(body["forecast"]) == 5
    assert body["timestamps"][0].startswith("2009-01-01")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields", [{"time_column": "date"}, {"dataset_type": "time_series"}], ids=["column", "type"]
)
def test_dates_before_1677_answer_a_clear_400(api, fields):
    res = _upload(api, _yearly(1500), **fields)
    assert res.status_code == 400, res.json()
    body = res.json()
    assert body["code"] == "dates_out_of_range"
    assert "date" in body["detail"] and "1677" in body["detail"]
    assert Dataset.objects.count() == 0


@pytest.mark.django_db
def test_dates_before_1677_without_a_time_column_upload_as_a_table(api):
    res = _upload(api, _yearly(1500))
    assert res.status_code == 201, res.json()
    assert res.json()["dataset_type"] == "tabular"


@pytest.mark.django_db
def test_an_unexpected_series_failure_omits_the_series_facts(api, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in time-series detection")

    # Stands for any bug not found yet: the upload still succeeds, without the series facts.
    monkeypatch.setattr(timeseries, "series_facts", broken)
    with caplog.at_level(logging.ERROR):
        res = _upload(api, _yearly(1900))
    assert res.status_code == 201, res.json()
    assert res.json()["dataset_type"] == "tabular" and res.json()["frequency"] == ""
    assert any("a bug in time-series detection" in (r.exc_text or "") for r in caplog.records)

    # When the user asked for that series, the answer is a clear 400 instead.
    res = _upload(api, _yearly(1900), time_column="date")
    assert res.status_code == 400 and res.json()["code"] == "profiling_failed", res.json()
    assert Dataset.objects.count() == 1


@pytest.mark.django_db
def test_an_unexpected_profiling_failure_answers_400_not_500(api, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in column profiling")

    monkeypatch.setattr(columns, "profile_frame", broken)
    with caplog.at_level(logging.ERROR):
        res = _upload(api, _yearly(1900))
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "profiling_failed"
    assert any("a bug in column profiling" in (r.exc_text or "") for r in caplog.records)
    assert Dataset.objects.count() == 0


@pytest.mark.django_db
def test_a_year_number_column_named_as_time_column_reads_as_years(api):
    res = _upload(api, _yearly(1700, fmt="{}"), time_column="date")
    assert res.status_code == 201, res.json()
    ds = res.json()
    assert ds["dataset_type"] == "time_series" and ds["frequency"] == "YS"
