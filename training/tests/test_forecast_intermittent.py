"""Intermittent demand in forecasting runs: which series count as intermittent, the automatic
choice adding the intermittent-demand methods only for them (the candidates of other series as
before), conformal-only intervals for those methods, choosing one explicitly, and a weekly
series of a slow item trained on a real worker, deployed and forecast with intervals."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import create_pipeline, sample_path, wait_job
from modeling.forecast_catalog import INTERMITTENT_ALGORITHMS
from modeling.tests.test_intermittent import slow_item
from pipelines.models import Pipeline
from training.budget import Ledger
from training.forecasting import ForecastSettings, run_forecast_automl
from training.forecasting.backtest import backtest
from training.forecasting.calibration import calibrate
from training.forecasting.engine import fit_plan
from training.forecasting.ensemble import combined_backtest
from training.forecasting.inputs import intermittent, is_intermittent, prepare
from training.forecasting.intervals import METHOD_TEXT
from training.forecasting.run import Run
from training.forecasting.search import candidate_algorithms
from training.services import _resolve_algorithms
from training.tests.test_api import _upload_csv
from vur.errors import InvalidInput

# The automatic candidates of every series that is not intermittent, as before these methods.
USUAL = ["seasonal_naive", "ets", "arima", "theta", "mstl", "gbm_lags", "linear_lags", "ensemble"]


def _frame(y: pd.Series, name: str = "sales") -> pd.DataFrame:
    return pd.DataFrame({"week": y.index, name: y.to_numpy()})


def _airpassengers() -> pd.DataFrame:
    return pd.read_csv(sample_path("series_airpassengers.csv"))


def _run(df: pd.DataFrame, settings: ForecastSettings) -> tuple[Run, list[str]]:
    lines: list[str] = []

    def sink(kind: str, payload: dict[str, Any]) -> None:
        if kind == "log":
            lines.append(payload["message"])

    data = prepare(df, settings)
    start = time.monotonic()
    ledger = Ledger(settings.time_budget_s, sink, start=start)
    return Run(settings, data, fit_plan(settings, data), ledger, sink, lambda: False, start), lines


def test_a_series_is_intermittent_from_30_percent_zeros_and_no_negative_value():
    assert is_intermittent(slow_item())
    assert not is_intermittent(_airpassengers()["passengers"])
    steps = pd.date_range("2020-01-06", periods=100, freq="W-MON")
    values = np.arange(1.0, 101.0)
    values[:29] = 0.0
    assert not is_intermittent(pd.Series(values, index=steps))  # 29% zeros
    values[29] = 0.0
    assert is_intermittent(pd.Series(values, index=steps))  # 30%
    values[50] = np.nan  # a gap is no observation: 30 of 99
    assert is_intermittent(pd.Series(values, index=steps))
    values[60] = -1.0  # a negative value: not demand
    assert not is_intermittent(pd.Series(values, index=steps))


def test_several_series_are_intermittent_when_at_least_half_are():
    def series(key: str, y: pd.Series) -> Any:
        from training.forecasting.inputs import SeriesData

        return SeriesData(key, y, [], 1)

    slow = [series(f"s{i}", slow_item(seed=i)) for i in range(3)]
    regular = [series(f"r{i}", slow_item(seed=i) + 5.0) for i in range(3)]
    assert intermittent(slow[:1]) and not intermittent(regular[:1])
    assert intermittent(slow[:2] + regular[:2])
    assert not intermittent(slow[:1] + regular[:2])


def test_auto_adds_the_intermittent_methods_for_a_slow_item_only():
    auto = {"time_column": "week", "target": "sales", "horizon": 8, "algorithms": "auto"}
    settings = ForecastSettings(**auto)
    run, lines = _run(_frame(slow_item()), settings)
    assert candidate_algorithms(run) == [*settings.algorithms, *INTERMITTENT_ALGORITHMS]
    assert set(settings.algorithms) == set(USUAL)
    assert any(
        "The series is intermittent demand (73% of its values are 0)" in m
        and "Croston (optimised), TSB, ADIDA and IMAPA join the candidates" in m
        for m in lines
    ), lines
    # Air passengers: the candidates exactly as before, and nothing said.
    air = ForecastSettings(time_column="month", target="passengers", horizon=12)
    run, lines = _run(_airpassengers(), air)
    assert air.auto and candidate_algorithms(run) == list(air.algorithms)
    assert sorted(air.algorithms) == sorted(USUAL)
    assert not any("intermittent" in m for m in lines)
    # A slow item with the algorithms chosen by hand: they alone.
    chosen = ForecastSettings(**{**auto, "algorithms": ["seasonal_naive", "ets"]})
    assert not chosen.auto
    assert candidate_algorithms(_run(_frame(slow_item()), chosen)[0]) == ["seasonal_naive", "ets"]
    # The automatic set as stored by a start request (a list) with the flag: added too.
    stored = ForecastSettings(**{**auto, "algorithms": USUAL, "auto": True})
    assert set(INTERMITTENT_ALGORITHMS) <= set(stored.params)
    assert candidate_algorithms(_run(_frame(slow_item()), stored)[0])[-4:] == list(
        INTERMITTENT_ALGORITHMS
    )


def test_intermittent_methods_and_their_ensembles_are_calibrated_conformally():
    settings = ForecastSettings(
        time_column="week",
        target="sales",
        horizon=8,
        algorithms=["seasonal_naive", "ets", *INTERMITTENT_ALGORITHMS],
    )
    data = prepare(_frame(slow_item()), settings)
    plan = fit_plan(settings, data)
    results = {
        name: backtest(name, data.series, plan, deadline=None, check_stop=lambda: None)
        for name in ("ets", *INTERMITTENT_ALGORITHMS)
    }
    conformal = METHOD_TEXT["conformal"]
    for name in INTERMITTENT_ALGORITHMS:
        res = results[name]
        assert set(res["calibration"]["methods"].values()) == {"conformal"}, name
        assert res["intervals"]["method"] == conformal
        assert all(0.0 <= res["metrics"][f"coverage_{lv}"] <= 1.0 for lv in (80, 95))
    results["pair"] = combined_backtest(results, ["croston", "ets"], "mean", plan.levels)
    assert results["pair"]["intervals"]["method"] == conformal
    added = calibrate(
        "pair", results, data.series, plan, deadline=float("inf"), check_stop=lambda: None
    )
    assert added > 0 and results["pair"]["intervals"]["method"] == conformal


def test_croston_chosen_by_hand_runs_on_a_regular_series():
    settings = ForecastSettings(
        time_column="month",
        target="passengers",
        horizon=12,
        algorithms=["seasonal_naive", "croston"],
        time_budget_s=20,
    )
    lines: list[str] = []
    cands = run_forecast_automl(
        _airpassengers(), settings, on_event=lambda k, p: lines.append(p.get("message", ""))
    )
    assert {c.algorithm for c in cands} == {"seasonal_naive", "croston"}
    croston = next(c for c in cands if c.algorithm == "croston")
    assert croston.prediction_intervals["method"] == METHOD_TEXT["conformal"]
    out = croston.model.predict(horizon=12, levels=(80, 95))
    assert len(out["forecast"]) == 12 and len(set(out["forecast"])) == 1  # a flat level
    for band in out["intervals"].values():
        assert np.isfinite(band["lower"]).all() and np.isfinite(band["upper"]).all()
    assert not any("join the candidates" in m for m in lines)


def test_a_start_request_says_whether_its_choice_is_the_automatic_one():
    pipeline = Pipeline(problem_type=Pipeline.ProblemType.FORECASTING)
    auto = _resolve_algorithms(pipeline, {"algorithms": "auto"})
    assert auto["auto"] is True and auto["algorithms"] == USUAL
    chosen = _resolve_algorithms(pipeline, {"algorithms": ["croston", "tsb"]})
    assert chosen["auto"] is False and chosen["algorithms"] == ["croston", "tsb"]
    config = {"model_config": {"algorithm": "tsb", "hyperparameters": {"alpha_d": 0.3}}}
    assert _resolve_algorithms(pipeline, config)["auto"] is False
    with pytest.raises(InvalidInput) as bad:
        _resolve_algorithms(
            pipeline, {"model_config": {"algorithm": "tsb", "hyperparameters": {"alpha_p": 2}}}
        )
    assert "hyperparameters.alpha_p" in bad.value.errors


@pytest.mark.django_db(transaction=True)
def test_a_slow_items_weekly_sales_train_deploy_and_forecast_with_intervals(api, celery_worker):
    ds = _upload_csv(api, "slow_item.csv", _frame(slow_item()))
    pipe = create_pipeline(api, ds["id"], "sales", "forecasting", forecast_horizon=8)
    job = api.post(
        "/api/v1/training/start", {"pipeline_id": pipe["id"], "time_budget_s": 30}, format="json"
    ).json()
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    from training.models import TrainingEvent

    lines = [
        e.payload["message"] for e in TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")
    ]
    assert any("join the candidates" in m for m in lines), lines

    board = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"]
    family = [m for m in board if m["algorithm"] in INTERMITTENT_ALGORITHMS]
    assert family, [m["algorithm"] for m in board]
    model = next((m for m in family if m["algorithm"] == "croston"), family[0])
    detail = api.get(f"/api/v1/models/{model['id']}/").json()
    assert detail["prediction_intervals"]["method"] == METHOD_TEXT["conformal"]
    deployed = api.post("/api/v1/deployment/deploy", {"model_id": model["id"]}, format="json")
    assert deployed.status_code == 201, deployed.json()
    res = api.post("/api/v1/predictions/forecast", {"model_id": model["id"]}, format="json")
    assert res.status_code == 200, res.json()
    out = res.json()
    assert len(out["forecast"]) == 8 and min(out["forecast"]) > 0
    for level in ("80", "95"):
        lower, upper = out["intervals"][level]["lower"], out["intervals"][level]["upper"]
        assert all(np.isfinite(lower)) and all(np.isfinite(upper))
        assert all(
            0 <= lo <= f < up for lo, f, up in zip(lower, out["forecast"], upper, strict=True)
        )
    # A week's sales sent live move the forecast by the method's own smoothing.
    week = (slow_item().index[-1] + pd.Timedelta(weeks=1)).date().isoformat()
    body = {"model_id": model["id"], "observations": [{"timestamp": week, "value": 12}]}
    live = api.post("/api/v1/predictions/forecast", body, format="json")
    assert live.status_code == 200, live.json()
    moved = live.json()
    assert moved["observations_applied"] == 1 and moved["updated_through"].startswith(week)
    assert moved["forecast"][0] > out["forecast"][0]
    assert all(np.isfinite(moved["intervals"]["95"]["upper"]))
