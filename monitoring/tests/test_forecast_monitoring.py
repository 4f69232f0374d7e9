"""Forecast monitoring: actuals arriving later (observations, feedback) matched to every forecast
made for their timestamps; error by forecast step and interval coverage, overall and over time."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from django.core.files import File

from modeling.artifacts import artifact_save
from modeling.forecasters import ETSForecaster, PreparedForecaster
from modeling.metrics import mase_scale
from modeling.models import TrainedModel
from monitoring.services import forecast_errors, forecast_summary

H = 4
START = pd.Timestamp("2024-01-01")


def _series(n: int) -> pd.Series:
    rng = np.random.default_rng(1)
    t = np.arange(n)
    values = 50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1.0, n)
    return pd.Series(values, index=pd.date_range(START, periods=n, freq="D"))


SERIES = _series(100)
HISTORY, FUTURE = SERIES.iloc[:90], SERIES.iloc[90:]


def _pair_record(stamps, forecast, lower, upper, series=None):
    return {
        "timestamps": stamps,
        "forecast": forecast,
        "intervals": {"80": {"lower": lower, "upper": upper}},
        "series_id": series,
        "origin": "2024-01-01T00:00:00+00:00",
    }


def test_every_forecast_covering_an_actual_is_scored_at_its_step():
    t1, t2, t3 = (datetime(2024, 1, d, tzinfo=UTC) for d in (2, 3, 4))
    records = [
        _pair_record([t1.isoformat(), t2.isoformat()], [10.0, 20.0], [9, 15], [11, 25]),
        _pair_record([t2.isoformat(), t3.isoformat()], [18.0, 30.0], [17, 29], [19, 31]),
        _pair_record([t1.isoformat()], [0.0], [0], [1], series="other"),
    ]
    actuals = {("", int(t1.timestamp())): (12.0, t1), ("", int(t2.timestamp())): (21.0, t2)}
    pairs = forecast_errors(records, actuals)
    assert sorted((p["step"], p["error"]) for p in pairs) == [(1, 2.0), (1, 3.0), (2, 1.0)]
    summary = forecast_summary(pairs, {"": 2.0})
    assert summary["by_horizon"] == [
        {"step": 1, "n": 2, "mae": 2.5, "mase": 1.25},
        {"step": 2, "n": 1, "mae": 1.0, "mase": 0.5},
    ]
    # 12 outside [9, 11]; 21 inside [15, 25]; 21 outside [17, 19].
    assert summary["coverage"] == {"80": pytest.approx(1 / 3)}
    assert forecast_summary(pairs, {})["by_horizon"][0]["mase"] is None
    assert forecast_summary([], {}) == {"by_horizon": [], "coverage": {}, "n": 0}


def test_the_same_forecast_asked_for_again_is_scored_once():
    """A model page reloaded three times (or a client polling) records the same forecast three
    times; its errors count once per step, or that origin would weigh three times as much."""
    t1, t2 = (datetime(2024, 1, d, tzinfo=UTC) for d in (2, 3))
    repeated = _pair_record([t1.isoformat(), t2.isoformat()], [10.0, 20.0], [9, 15], [11, 25])
    later = _pair_record([t2.isoformat()], [22.0], [21], [23])  # the next origin's step 1
    actuals = {("", int(t1.timestamp())): (12.0, t1), ("", int(t2.timestamp())): (21.0, t2)}
    pairs = forecast_errors([later, repeated, dict(repeated), dict(repeated)], actuals)
    assert sorted((p["step"], p["error"]) for p in pairs) == [(1, -1.0), (1, 2.0), (2, 1.0)]
    summary = forecast_summary(pairs, {"": 2.0})
    assert [row["n"] for row in summary["by_horizon"]] == [2, 1]


def _forecaster(owner) -> TrainedModel:
    """An ETS forecaster fitted on a dataset the owner uploaded (so its reference can be
    rebuilt from that dataset), stored like training stores one."""
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create
    from training.forecasting import ForecastModel

    buf = io.BytesIO()
    HISTORY.rename("sales").rename_axis("day").reset_index().to_csv(buf, index=False)
    buf.seek(0)
    dataset = dataset_upload(owner=owner, upload=File(buf, name="sales.csv"), name="sales")
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="sales", target_column="sales",
        problem_type="forecasting",
    )  # fmt: skip
    fc = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY)
    fitted = ForecastModel(
        algorithm="ets", time_column="day", target="sales", id_column=None, freq="D",
        timezone="UTC", horizon=H, levels=(80, 95), season_lengths={None: [7]},
        forecasters={None: fc},
    )  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/monitoring/ets")
    return TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="forecasting", algorithm="ets",
        primary_metric="mase", artifact=saved.name, sha256=saved.sha256,
        input_schema=fitted.input_schema(),
    )  # fmt: skip


@pytest.mark.django_db
def test_observations_one_by_one_give_error_by_step_and_coverage(api, other_api, owner):
    model = _forecaster(owner)
    res = api.post("/api/v1/deployment/deploy", {"model_id": model.pk, "target": "api"})
    assert res.status_code == 201, res.content
    url = "/api/v1/predictions/forecast"
    answers = [api.post(url, {"model_id": model.pk}, format="json").json()]
    for ts, value in FUTURE.iloc[:6].items():
        obs = [{"timestamp": ts.isoformat() + "Z", "value": float(value)}]
        res = api.post(url, {"model_id": model.pk, "observations": obs}, format="json")
        assert res.status_code == 200, res.content
        answers.append(res.json())
    # What the endpoint must find, computed here from the answers themselves.
    truth = {int(ts.tz_localize("UTC").timestamp()): v for ts, v in FUTURE.iloc[:6].items()}
    errors: dict[int, list[float]] = {}
    inside: dict[str, list[bool]] = {"80": [], "95": []}
    for answer in answers:
        for i, stamp in enumerate(answer["timestamps"]):
            key = int(pd.Timestamp(stamp).timestamp())
            if key in truth:
                errors.setdefault(i + 1, []).append(abs(truth[key] - answer["forecast"][i]))
                for level in inside:
                    band = answer["intervals"][level]
                    inside[level].append(band["lower"][i] <= truth[key] <= band["upper"][i])
    body = api.get(f"/api/v1/monitoring/models/{model.pk}/metrics?window=1h").json()
    assert body["prediction_count"] == 7
    scale = mase_scale(HISTORY.to_numpy(), 7)
    got = {b["step"]: b for b in body["by_horizon"]}
    assert sorted(got) == sorted(errors) == [1, 2, 3, 4]
    for step, errs in errors.items():
        assert got[step]["n"] == len(errs)
        assert got[step]["mae"] == pytest.approx(np.mean(errs), rel=1e-5)
        assert got[step]["mase"] == pytest.approx(np.mean(errs) / scale, rel=1e-4)
    for level, hits in inside.items():
        assert body["coverage"][level] == pytest.approx(np.mean(hits), abs=1e-6)
    assert body["live_metrics"]["n"] == sum(len(e) for e in errors.values())
    busy = [p for p in body["timeline"] if p["by_horizon"]]
    assert sum(b["n"] for p in busy for b in p["by_horizon"]) == body["live_metrics"]["n"]
    assert other_api.get(f"/api/v1/monitoring/models/{model.pk}/metrics").status_code == 404
    drift = api.post(
        "/api/v1/monitoring/drift-detection", {"model_id": model.pk, "window": "1h"}
    ).json()
    assert [f["feature"] for f in drift["features"]] == ["sales"]
    assert drift["current"]["rows"] == 6


def two_stores_model(owner) -> TrainedModel:
    """A seasonal naive forecaster trained by the engine on two stores' daily sales: store 'A'
    sells every day, store 'B' sold nothing in the whole history (its MASE scale is zero)."""
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create
    from training.engines import engine_for
    from training.models import TrainingJob
    from training.services import training_job_run

    days = pd.date_range(START, periods=120, freq="D").strftime("%Y-%m-%d")
    frame = pd.concat(
        [
            pd.DataFrame({"day": days, "store": "A", "sales": _series(120).to_numpy()}),
            pd.DataFrame({"day": days, "store": "B", "sales": 0.0}),
        ]
    )
    upload = File(io.BytesIO(frame.to_csv(index=False).encode()), name="stores.csv")
    dataset = dataset_upload(owner=owner, upload=upload, name="stores")
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="stores", target_column="sales",
        problem_type="forecasting", time_column="day", id_column="store",
    )  # fmt: skip
    config = {"algorithms": ["seasonal_naive"], "time_budget_s": 20}
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, config={**config, **engine_for(pipeline).start_config()}
    )
    training_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "completed", job.error
    return TrainedModel.objects.get(training_job_id=job.pk, rank=1)


def observe_first_steps(api, model: TrainedModel, stores: list[str]) -> None:
    """Deploy `model`, forecast every store, then send each of `stores` its first forecast step
    plus 2 as the actual (an error of 2 at step 1)."""
    res = api.post("/api/v1/deployment/deploy", {"model_id": model.pk, "target": "api"})
    assert res.status_code == 201, res.content
    url = "/api/v1/predictions/forecast"
    answer = api.post(url, {"model_id": model.pk}, format="json").json()
    first = {s["id"]: (s["timestamps"][0], s["forecast"][0]) for s in answer["series"]}
    for store in stores:
        stamp, value = first[store]
        obs = [{"timestamp": stamp, "value": value + 2.0, "series_id": store}]
        body = {"model_id": model.pk, "series_id": store, "observations": obs}
        res = api.post(url, body, format="json")
        assert res.status_code == 200, res.content


@pytest.mark.django_db
def test_a_series_constant_in_training_leaves_mase_by_step_to_the_others_and_says_so(api, owner):
    """Store 'B' sold nothing in training, so it has no MASE scale: one actual of it used to
    blank the MASE of every step it reached (n=2 and no MASE, without a word)."""
    from monitoring.models import ModelReference

    model = two_stores_model(owner)
    observe_first_steps(api, model, ["A", "B"])
    body = api.get(f"/api/v1/monitoring/models/{model.pk}/metrics?window=1h").json()
    scales = {
        k: v["mase_scale"]
        for k, v in ModelReference.objects.get(model=model).data["series"].items()
    }
    assert scales["A"] > 0 and scales["B"] is None
    assert body["by_horizon"] == [
        {"step": 1, "n": 2, "mae": 2.0, "mase": pytest.approx(2.0 / scales["A"], 1e-5)}
    ]
    note = body["live_notes"]["mase"]
    assert note.startswith("MASE by step is measured on the other series only, without ")
    assert "series 'B' had the same value at every step of its training history" in note


@pytest.mark.django_db
def test_mase_by_step_that_cannot_be_computed_says_why(api, owner):
    from django.core.files.storage import default_storage

    from monitoring.models import ModelReference

    model = two_stores_model(owner)
    observe_first_steps(api, model, ["B"])
    url = f"/api/v1/monitoring/models/{model.pk}/metrics?window=1h"
    body = api.get(url).json()
    assert body["by_horizon"] == [{"step": 1, "n": 1, "mae": 2.0, "mase": None}]
    assert body["live_notes"]["mase"] == (
        "MASE by step cannot be computed: series 'B' had the same value at every step of its "
        "training history, so its naive forecast error, the scale MASE divides by, is zero."
    )
    # Without a reference to be had (its file and the dataset gone) the note says so too.
    ModelReference.objects.filter(model=model).delete()
    default_storage.delete(model.card["monitoring_reference"])
    default_storage.delete(model.pipeline.dataset.file.name)
    body = api.get(url).json()
    assert body["by_horizon"][0]["mase"] is None
    assert "monitoring reference, which could not be read or rebuilt" in body["live_notes"]["mase"]
