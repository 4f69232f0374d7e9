"""Live updates of fitted forecasters: after N new points, every family forecasts what the same
fitted model forecasts with those points in its history (refit-free reference), to 1e-6, whether
the points come one at a time or in a batch, and through a JSON round trip of the state."""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modeling.forecast_catalog import FORECASTING_SPECS
from modeling.forecasters import (
    AggregateForecaster,
    ARIMAForecaster,
    CrostonForecaster,
    EnsembleForecaster,
    ETSForecaster,
    Forecaster,
    IntermittentForecaster,
    LagRegressionForecaster,
    PreparedForecaster,
    StatsForecaster,
    TSBForecaster,
    _residual_intervals,
)

N_HIST, N_NEW, H, LEVELS = 240, 12, 14, (80, 95)
FAMILIES = [s.name for s in FORECASTING_SPECS if s.factory is not None]


def _series(n: int, freq: str = "D", season: int = 7, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 200 + 0.3 * t + 12 * np.sin(2 * np.pi * t / season) + rng.normal(0, 2.0, n)
    return pd.Series(y, index=pd.date_range("2023-01-02", periods=n, freq=freq))


FULL = _series(N_HIST + N_NEW)
HIST, NEW = FULL.iloc[:N_HIST], FULL.iloc[N_HIST:]


def _build(name: str, seasons: list[int] | None = None) -> PreparedForecaster:
    spec = next(s for s in FORECASTING_SPECS if s.name == name)
    params = spec.resolve({"n_estimators": 40} if name == "gbm_lags" else {})
    context = {"freq": "D", "season_lengths": seasons or [7], "horizon": H, "random_state": 0}
    assert spec.factory is not None
    prepared = PreparedForecaster(spec.factory(params, context))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared.fit(HIST)
    return prepared


def _reference(
    inner: Forecaster, new_values: np.ndarray, horizon: int
) -> tuple[np.ndarray, dict[Any, Any]]:
    """The fitted model applied to its history extended by `new_values`, computed from scratch:
    statsforecast's `forward` over the fitted window (same parameters, states recomputed from
    the start), an intermittent-demand method's smoothing by statsforecast with the fitted
    constants, or a lag model whose whole history is rebuilt from the extended series."""
    if isinstance(inner, IntermittentForecaster):
        window = np.concatenate([inner._tail, new_values])
        mean = np.full(horizon, intermittent_reference(inner, window, len(inner._tail)))
        return mean, _residual_intervals(mean, inner.residuals_, LEVELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(inner, ARIMAForecaster):
            x = np.concatenate([inner.model_.model_["x"], new_values])
            n = len(x)
            fourier = inner.fourier_period_
            res = inner.model_.forward(
                y=x,
                h=horizon,
                X=inner._fourier(np.arange(n)) if fourier else None,
                X_future=inner._fourier(np.arange(n, n + horizon)) if fourier else None,
                level=list(LEVELS),
            )
            return _as_output(res)
        if isinstance(inner, StatsForecaster):
            window = np.concatenate([inner._tail, new_values])
            return _as_output(inner.model_.forward(y=window, h=horizon, level=list(LEVELS)))
    assert isinstance(inner, LagRegressionForecaster)
    ref = copy.deepcopy(inner)
    start = inner._index[0]
    full = FULL.loc[start:].iloc[: len(inner._index) + len(new_values)]
    z = full.diff() if inner.diff_ else full
    ref._history, ref._index = z.to_numpy(), full.index
    ref._last_level, ref.last_timestamp_ = float(full.iloc[-1]), full.index[-1]
    mean, intervals = ref._predict(horizon, LEVELS)
    return mean, {lv: (np.asarray(lo), np.asarray(hi)) for lv, (lo, hi) in intervals.items()}


def intermittent_reference(inner: IntermittentForecaster, y: np.ndarray, fitted_n: int) -> float:
    """The one-step forecast of an intermittent-demand method with `inner`'s fitted constants
    over the whole of `y` (whose first `fitted_n` values it was fitted on), by statsforecast's
    own functions: TSB itself (its constants are given), Croston's SES of sizes and intervals
    with the fitted alphas, and the SES of bucket sums (buckets as aligned in the fit)."""
    from statsforecast.models import TSB, _chunk_sums, _demand, _intervals, _ses_forecast

    if isinstance(inner, TSBForecaster):
        model = TSB(alpha_d=inner.alpha_d, alpha_p=inner.alpha_p)
        return float(model.forecast(y=y, h=1)["mean"][0])
    if isinstance(inner, CrostonForecaster):
        size = _ses_forecast(_demand(y), inner.alpha_size_)[0]
        interval = _ses_forecast(_intervals(y), inner.alpha_interval_)[0]
        return float(size / interval)
    assert isinstance(inner, AggregateForecaster)
    rates = [
        _ses_forecast(_chunk_sums(y[fitted_n % k :], k), alpha)[0] / k
        for k, alpha in inner.aggregation_
    ]
    return float(np.mean(rates))


def _as_output(res: dict) -> tuple[np.ndarray, dict]:
    return np.asarray(res["mean"]), {
        lv: (np.asarray(res[f"lo-{lv}"]), np.asarray(res[f"hi-{lv}"])) for lv in LEVELS
    }


def _one_by_one(fc: Forecaster, points: pd.Series) -> Forecaster:
    for i in range(len(points)):
        fc = fc.update(points.iloc[i : i + 1])
    return fc


def _assert_same(out, mean: np.ndarray, intervals: dict) -> None:
    np.testing.assert_allclose(out.forecast, mean, rtol=0, atol=1e-6)
    for lv in LEVELS:
        np.testing.assert_allclose(out.intervals[str(lv)]["lower"], intervals[lv][0], atol=1e-6)
        np.testing.assert_allclose(out.intervals[str(lv)]["upper"], intervals[lv][1], atol=1e-6)


@pytest.mark.parametrize("name", FAMILIES)
def test_update_equals_the_model_with_the_points_in_its_history(name):
    fc = _build(name)
    before = fc.predict(H, LEVELS)
    mean, intervals = _reference(fc.forecaster, NEW.to_numpy(), H)
    one = _one_by_one(fc, NEW)
    batch = fc.update(NEW)
    for live in (one, batch):
        assert live.last_timestamp_ == NEW.index[-1] and live.n_obs_ == len(FULL)
        out = live.predict(H, LEVELS)
        assert out.timestamps[0] == NEW.index[-1] + pd.Timedelta(days=1)
        _assert_same(out, mean, intervals)
    # Saved as JSON and read back (another process, a restart): the same forecast.
    state = json.loads(json.dumps(one.live_state()))
    _assert_same(fc.with_live_state(state).predict(H, LEVELS), mean, intervals)
    # The fitted model itself did not move (it is shared by every request in a process).
    np.testing.assert_array_equal(fc.predict(H, LEVELS).forecast, before.forecast)


def test_the_update_is_a_state_update_not_a_refit():
    """ETS and ARIMA advance by their recursions: parameters and sigma^2's formula unchanged,
    and the point forecast moves with the new data."""
    fc = _build("ets")
    live = fc.update(NEW)
    assert live.forecaster.model_ is fc.forecaster.model_  # the fitted model object, shared
    assert not np.allclose(live.predict(H).forecast, fc.predict(H).forecast)
    arima = _build("arima", seasons=[30])  # a season beyond the cap: Fourier regressors
    assert arima.forecaster.fourier_period_ == 30
    mean, intervals = _reference(arima.forecaster, NEW.to_numpy(), H)
    _assert_same(_one_by_one(arima, NEW).predict(H, LEVELS), mean, intervals)


def test_ensemble_updates_every_member():
    members = [_build(name) for name in ("ets", "seasonal_naive", "linear_lags")]
    ens = EnsembleForecaster.from_fitted(members)
    ens.set_conformal_errors(np.abs(np.random.default_rng(0).normal(0, 3, (8, H))))
    refs = [_reference(m.forecaster, NEW.to_numpy(), H)[0] for m in members]
    for live in (_one_by_one(ens, NEW), ens.update(NEW)):
        out = live.predict(H, LEVELS)
        np.testing.assert_allclose(out.forecast, np.mean(refs, axis=0), atol=1e-6)
        state = json.loads(json.dumps(live.live_state()))
        again = ens.with_live_state(state).predict(H, LEVELS)
        np.testing.assert_allclose(again.forecast, out.forecast, atol=1e-12)
        np.testing.assert_allclose(
            again.intervals["95"]["lower"], out.intervals["95"]["lower"], atol=1e-12
        )


def test_transforms_continue_from_the_new_points():
    """log then difference: new points pass through the fitted transforms, and the difference
    is undone from the last new level."""
    fc = PreparedForecaster(
        ETSForecaster(season_length=7), transforms=[{"type": "log"}, {"type": "difference"}]
    ).fit(HIST)
    inner = fc.forecaster
    z_new = np.diff(np.log(FULL.to_numpy()))[N_HIST - 1 :]
    window = np.concatenate([inner._tail, z_new])
    res = inner.model_.forward(y=window, h=H)
    expected = np.exp(np.log(FULL.iloc[-1]) + np.cumsum(res["mean"]))
    for live in (_one_by_one(fc, NEW), fc.update(NEW)):
        np.testing.assert_allclose(live.predict(H).forecast, expected, rtol=1e-9)


def test_missing_steps_are_filled_like_the_history():
    fc = _build("ets")
    gappy = NEW.copy()
    gappy.iloc[2:4] = np.nan
    filled = gappy.interpolate()
    expected = fc.update(filled).predict(H).forecast
    np.testing.assert_allclose(fc.update(gappy).predict(H).forecast, expected, atol=1e-9)


def test_points_that_do_not_continue_the_history_are_refused():
    fc = _build("seasonal_naive")
    with pytest.raises(ValueError, match="continue"):
        fc.update(NEW.iloc[1:3])  # skips the first new step without a NaN for it
    with pytest.raises(ValueError, match="continue"):
        fc.update(HIST.iloc[-2:])
    with pytest.raises(ValueError, match="finite"):
        _build("ets").forecaster.update(pd.Series([np.nan], index=NEW.index[:1]))


def test_decomposition_window_keeps_the_most_recent_points_past_twice_the_fit():
    fc = _build("theta")
    inner = fc.forecaster
    inner.max_length = 150  # a small cap, so a long stream passes it (the fit used 240 points)
    longer = _series(N_HIST + 200).iloc[N_HIST:]
    live = fc.update(longer).forecaster
    window = live._window(live._live)
    assert len(window) == 150  # 240 + 200 > 2 * 150: the last 150 points remain
    np.testing.assert_allclose(window, longer.to_numpy()[-150:])
