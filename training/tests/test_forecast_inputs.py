"""Tests of what the forecasting engine accepts: a grid mostly without values is refused, series
too short for the horizon are left out of a multi-series run, and series with fewer than two
seasons are forecast without a season."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.forecasting import (
    ForecastSettings,
    HistoryTooShort,
    SparseSeries,
    check_input,
    run_forecast_automl,
)
from training.forecasting.inputs import MIN_TRAIN, prepare, series_need


def _business_hours(weeks: int = 8) -> pd.DataFrame:
    """Hourly calls on weekdays from 07:00 to 21:00 only: 53% of the hourly grid is missing."""
    t = pd.date_range("2024-01-01", periods=24 * 7 * weeks, freq="h")
    t = t[(t.dayofweek < 5) & (t.hour >= 7) & (t.hour < 22)]
    rng = np.random.default_rng(1)
    calls = 1000 + 500 * np.sin(np.pi * (t.hour - 7) / 14) + rng.normal(0, 50, len(t))
    return pd.DataFrame({"hour": t.strftime("%Y-%m-%d %H:%M:%S"), "calls": calls.round()})


def _monthly(n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    t = np.arange(n)
    deaths = 1800 + 300 * np.cos(2 * np.pi * t / 12) + rng.normal(0, 60, n)
    return pd.DataFrame(
        {"month": pd.date_range("1974-01-01", periods=n, freq="MS"), "deaths": deaths}
    )


def _hourly_stations(short: int = 30) -> pd.DataFrame:
    """Three hourly series of 300 points and one ('NEW') of `short` points."""
    rng = np.random.default_rng(3)
    parts = []
    for name, n in (("EWR", 300), ("JFK", 300), ("LGA", 300), ("NEW", short)):
        t = pd.date_range("2013-01-01", periods=n, freq="h")
        temp = 40 + 8 * np.sin(2 * np.pi * t.hour / 24) + rng.normal(0, 1, n)
        parts.append(pd.DataFrame({"origin": name, "time_hour": t, "temp": temp}))
    return pd.concat(parts, ignore_index=True)


def _logs(events: list) -> list[dict]:
    return [p for kind, p in events if kind == "log"]


def test_series_need_drops_the_season_below_two_seasons_plus_the_horizon():
    assert series_need(200, 12, 12) == (36, False)  # two seasons of 12 plus the horizon
    assert series_need(24, 12, 6) == (6 + MIN_TRAIN, True)
    assert series_need(24, 12, 12) == (12 + MIN_TRAIN, True)
    assert series_need(24, 12, 20) == (20 + MIN_TRAIN, True)  # 28 > 24: too short
    assert series_need(10, 1, 2) == (2 + MIN_TRAIN, False)  # no season to drop


def test_a_grid_mostly_without_values_is_refused_with_what_to_do():
    settings = ForecastSettings(time_column="hour", target="calls", horizon=24)
    with pytest.raises(SparseSeries) as err:
        check_input(_business_hours(), settings)
    message = str(err.value)
    assert err.value.code == "series_too_sparse"
    assert "687 of the 1287 steps at frequency h" in message
    assert "coarser frequency" in message and "value at each step" in message
    with pytest.raises(SparseSeries):
        run_forecast_automl(_business_hours(), settings)


def test_a_moderately_gappy_series_is_still_forecast():
    rng = np.random.default_rng(4)
    days = pd.date_range("2013-01-01", periods=365, freq="D")
    frame = pd.DataFrame({"day": days, "departures": 250 + rng.normal(0, 10, 365)})
    frame = frame.drop(index=rng.choice(np.arange(1, 364), 17, replace=False))
    settings = ForecastSettings(
        time_column="day",
        target="departures",
        horizon=14,
        algorithms=["seasonal_naive"],
        time_budget_s=10,
    )
    assert prepare(frame, settings).report["n_gaps"] == 17
    assert run_forecast_automl(frame, settings)[0].model is not None


def test_a_series_too_short_is_left_out_and_the_others_are_forecast():
    events: list = []
    settings = ForecastSettings(
        time_column="time_hour",
        target="temp",
        id_column="origin",
        horizon=24,
        algorithms=["seasonal_naive"],
        time_budget_s=20,
    )
    cands = run_forecast_automl(
        _hourly_stations(), settings, on_event=lambda k, p: events.append((k, p))
    )
    model = cands[0].model
    assert model.series_ids == ["EWR", "JFK", "LGA"]
    assert [s["id"] for s in model.predict()["series"]] == ["EWR", "JFK", "LGA"]
    left = model.input_schema()["left_out_series"]
    assert [x["id"] for x in left] == ["NEW"]
    assert "30 observations" in left[0]["reason"] and "at least 32" in left[0]["reason"]
    logs = [p for p in _logs(events) if "Left out" in p["message"]]
    assert logs and logs[0]["level"] == "warning" and "'NEW'" in logs[0]["message"]
    with pytest.raises(ValueError, match="'NEW' was left out .* too little data"):
        model.predict(series_id="NEW")
    with pytest.raises(ValueError, match="Unknown series id 'Mars'"):
        model.predict(series_id="Mars")


def test_a_mostly_empty_series_among_full_ones_is_left_out_on_its_own():
    frame = _hourly_stations(short=300)
    new = frame.index[frame["origin"] == "NEW"]
    frame = frame.drop(index=new[1:-1][np.arange(len(new) - 2) % 4 != 0])  # 1 step in 4 kept
    settings = ForecastSettings(
        time_column="time_hour", target="temp", id_column="origin", horizon=24
    )
    check_input(frame, settings)  # the grid as a whole is mostly observed
    data = prepare(frame, settings)
    assert [s.key for s in data.series] == ["EWR", "JFK", "LGA"]
    assert list(data.left_out) == ["NEW"]
    assert "values at only" in data.left_out["NEW"] and "of its 300 steps" in data.left_out["NEW"]


def test_when_no_series_holds_the_horizon_the_longest_sets_the_checked_one():
    """Four hourly series of 30, 30, 30 and 20 points asked 24 steps ahead: none holds 24 + 8,
    so the backtests check 22 steps, the 20-point series (too short for those) is left out,
    and the others are still forecast 24 steps."""
    frame = _hourly_stations().groupby("origin").head(30)
    frame = frame.drop(index=frame.index[frame["origin"] == "NEW"][20:])
    settings = ForecastSettings(
        time_column="time_hour", target="temp", id_column="origin", horizon=24
    )
    data = prepare(frame, settings)
    assert data.checked_horizon == 22
    assert [s.key for s in data.series] == ["EWR", "JFK", "LGA"]
    assert data.left_out["NEW"] == (
        "20 observations at frequency h; at least 30 are needed for backtests of 22 steps"
    )


def test_every_series_too_short_to_check_one_step_still_fails_the_run_with_a_clear_message():
    frame = _hourly_stations().groupby("origin").head(8)
    settings = ForecastSettings(
        time_column="time_hour", target="temp", id_column="origin", horizon=24
    )
    with pytest.raises(HistoryTooShort, match="No series is long enough.*at least 9 are needed"):
        run_forecast_automl(frame, settings)


@pytest.mark.parametrize("horizon", [1, 6, 12])
def test_two_years_of_months_forecast_without_a_season_with_ordered_intervals(horizon):
    events: list = []
    settings = ForecastSettings(
        time_column="month", target="deaths", horizon=horizon, time_budget_s=20
    )
    cands = run_forecast_automl(_monthly(), settings, on_event=lambda k, p: events.append((k, p)))
    assert cands and all(c.model is not None for c in cands)
    assert "mstl" not in {c.algorithm for c in cands}
    notes = [p for p in _logs(events) if "fewer than two seasons of 12" in p["message"]]
    assert notes and notes[0]["level"] == "warning"
    for cand in cands:
        out = cand.model.predict()
        forecast = np.asarray(out["forecast"])
        assert len(forecast) == horizon and np.isfinite(forecast).all()
        for level in ("80", "95"):
            lower = np.asarray(out["intervals"][level]["lower"])
            upper = np.asarray(out["intervals"][level]["upper"])
            assert (lower <= forecast).all() and (forecast <= upper).all(), cand.algorithm


def test_seasonal_models_fit_without_a_season_on_a_series_too_short_for_two():
    """Backtests and refit alike: the season is 1 for every model of a short series, so the
    deployed model is the one that was ranked."""
    settings = ForecastSettings(
        time_column="month", target="deaths", horizon=6, algorithms=["seasonal_naive", "ets"]
    )
    data = prepare(_monthly(), settings)
    assert data.series[0].season_dropped and data.series[0].m == 1 and not data.series[0].seasons
    cands = run_forecast_automl(_monthly(), settings)
    naive = next(c for c in cands if c.algorithm == "seasonal_naive").model
    inner = naive.forecasters[None].forecaster
    assert type(inner.model_).__name__ == "Naive"  # not SeasonalNaive(12) on 24 points


@pytest.mark.parametrize("horizon", [20, 48])
def test_a_horizon_longer_than_the_history_holds_is_forecast_and_checked_on_fewer_steps(horizon):
    """24 monthly points asked 20 or 48 steps ahead (they hold 16 after 8 to train on): the
    candidates are ranked on backtests of 16 steps, the job log says so, and every model
    forecasts the whole horizon with ordered intervals and a note on the unchecked steps."""
    events: list = []
    settings = ForecastSettings(
        time_column="month", target="deaths", horizon=horizon, time_budget_s=20
    )
    check_input(_monthly(), settings)  # accepted before a job is queued
    cands = run_forecast_automl(_monthly(), settings, on_event=lambda k, p: events.append((k, p)))
    assert cands and all(c.model is not None for c in cands)
    warned = [p for p in _logs(events) if "check forecasts only 16 steps ahead" in p["message"]]
    assert warned and warned[0]["level"] == "warning"
    assert f"not the asked {horizon}" in warned[0]["message"]
    assert any("backtest window(s) of 16 steps" in p["message"] for p in _logs(events))
    for cand in cands:
        model = cand.model
        assert model.horizon == horizon and model.checked_horizon == 16
        assert model.input_schema()["checked_horizon"] == 16
        out = model.predict()
        forecast = np.asarray(out["forecast"])
        assert len(forecast) == horizon and np.isfinite(forecast).all(), cand.algorithm
        for level in ("80", "95"):
            lower = np.asarray(out["intervals"][level]["lower"])
            upper = np.asarray(out["intervals"][level]["upper"])
            assert (lower <= forecast).all() and (forecast <= upper).all(), cand.algorithm
        (note,) = model.forecast_notes(horizon)
        assert f"backtests of 16 steps; those of steps 17 to {horizon}" in note
        assert model.forecast_notes(16) == []


def test_a_series_too_short_to_check_one_step_is_refused_before_a_job():
    settings = ForecastSettings(time_column="month", target="deaths", horizon=3)
    with pytest.raises(HistoryTooShort) as err:
        check_input(_monthly(8), settings)
    assert err.value.code == "series_too_short"
    assert "8 observations at frequency MS; at least 9 are needed" in str(err.value)
    check_input(_monthly(9), settings)  # one step can be checked


def test_a_trained_model_knows_its_series_training_range_for_far_value_warnings():
    frame = _monthly(36)
    settings = ForecastSettings(
        time_column="month", target="deaths", horizon=6, algorithms=["seasonal_naive"]
    )
    model = run_forecast_automl(frame, settings)[0].model
    low, high = model.value_ranges[None]
    assert (low, high) == (frame["deaths"].min(), frame["deaths"].max())
    assert model.far_value_note(None, (low + high) / 2) is None
    assert model.far_value_note(None, high + 1.5 * (high - low)) is None  # a level shift
    assert "far outside the values the series was trained on" in model.far_value_note(None, 1e9)
    assert model.far_value_note(None, low - 3 * (high - low)) is not None
