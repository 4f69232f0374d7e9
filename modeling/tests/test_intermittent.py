"""The intermittent-demand forecasters (Croston, TSB, ADIDA, IMAPA) on a seeded series of weekly
sales of a slow item: statsforecast's forecast, a level near the mean demand, finite
non-negative forecasts and bounds, pickling, and live updates by their own recursions."""

from __future__ import annotations

import json
import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modeling.forecast_catalog import FORECASTING_SPECS, INTERMITTENT_ALGORITHMS
from modeling.forecasters import (
    ADIDAForecaster,
    CrostonForecaster,
    Forecaster,
    IMAPAForecaster,
    PreparedForecaster,
    TSBForecaster,
)
from modeling.tests.test_live_forecast import intermittent_reference

H, LEVELS = 12, (80, 95)


def slow_item(n: int = 150, p: float = 0.3, seed: int = 5) -> pd.Series:
    """Weekly sales of a slow item: a demand in a week with probability `p` (Bernoulli), of
    1 + Poisson(3) units; about 70% of the weeks sell nothing."""
    rng = np.random.default_rng(seed)
    occurs = rng.random(n) < p
    sizes = 1 + rng.poisson(3.0, n)
    values = np.where(occurs, sizes, 0).astype(float)
    return pd.Series(values, index=pd.date_range("2021-01-04", periods=n, freq="W-MON"))


def _build(name: str) -> Forecaster:
    spec = next(s for s in FORECASTING_SPECS if s.name == name)
    assert spec.factory is not None
    context = {"freq": "W-MON", "season_lengths": [], "horizon": H, "random_state": 0}
    return spec.factory(spec.resolve({}), context)


def _fit(fc: Forecaster, y: pd.Series) -> Forecaster:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fc.fit(y)


def _statsforecast(name: str, values: np.ndarray) -> float:
    """statsforecast's own forecast of the method, fitted here from scratch."""
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonOptimized

    model: Any = {
        "croston": CrostonOptimized(),
        "tsb": TSB(alpha_d=0.1, alpha_p=0.1),
        "adida": ADIDA(),
        "imapa": IMAPA(),
    }[name]
    return float(model.forecast(y=values, h=1)["mean"][0])


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
def test_each_method_forecasts_statsforecasts_flat_level_near_the_mean_demand(name):
    y = slow_item()
    assert 0.6 <= float(np.mean(y == 0)) <= 0.8
    fc = _fit(_build(name), y)
    out = fc.predict(H, LEVELS)
    assert out.timestamps[0] == y.index[-1] + pd.Timedelta(weeks=1) and len(out.forecast) == H
    assert np.isfinite(out.forecast).all() and (out.forecast >= 0).all()
    np.testing.assert_allclose(out.forecast, _statsforecast(name, y.to_numpy()), rtol=1e-9)
    # Near the mean demand per week of the history (the smoothing follows the recent weeks),
    # far from the mean size of a demand, which a model blind to the zeros would give.
    rate, size = float(y.mean()), float(y[y > 0].mean())
    assert abs(out.forecast[0] - rate) <= 0.4 * rate, (out.forecast[0], rate)
    assert out.forecast[0] < 0.5 * size
    for band in out.intervals.values():
        for bound in band.values():
            assert np.isfinite(bound).all() and (bound >= 0).all()
        assert (band["lower"] <= out.forecast).all() and (out.forecast <= band["upper"]).all()


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
def test_conformal_bounds_are_finite_and_floored_at_zero(name):
    """Trained models calibrate these on backtest errors (no intervals of their own): the
    bounds stay finite and never go below 0 on a series of counts."""
    y = slow_item()
    fc = _fit(PreparedForecaster(_build(name)), y)
    assert not fc.native_intervals
    errors = np.random.default_rng(1).normal(0.0, 2.5, (12, H))
    fc.set_conformal_errors(errors).set_interval_methods(dict.fromkeys(LEVELS, "conformal"))
    out = fc.predict(H, LEVELS)
    lower = out.intervals["95"]["lower"]
    assert np.isfinite(lower).all() and (lower >= 0).all() and (lower == 0).any()
    upper = out.intervals["95"]["upper"]
    assert np.isfinite(upper).all() and (upper > out.forecast).all()


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
def test_a_pickled_model_forecasts_the_same_before_and_after_an_update(name):
    y = slow_item()
    fc = _fit(PreparedForecaster(_build(name)), y.iloc[:140])
    again = pickle.loads(pickle.dumps(fc))
    np.testing.assert_array_equal(again.predict(H).forecast, fc.predict(H).forecast)
    live = fc.update(y.iloc[140:])
    live_again = pickle.loads(pickle.dumps(live))
    np.testing.assert_array_equal(live_again.predict(H).forecast, live.predict(H).forecast)
    state = json.loads(json.dumps(live.live_state()))
    np.testing.assert_array_equal(
        again.with_live_state(state).predict(H).forecast, live.predict(H).forecast
    )


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
@pytest.mark.parametrize("fitted", [101, 130, 137])
def test_updates_continue_the_fitted_recursion(name, fitted):
    """New weeks, one at a time or all at once, give the forecast of statsforecast's smoothing
    over the longer history with the constants of the fit (TSB: statsforecast's TSB itself);
    several history lengths, so that the buckets of the aggregating methods start part-way."""
    y = slow_item()
    fc = _fit(_build(name), y.iloc[:fitted])
    expected = intermittent_reference(fc, y.to_numpy(), fitted)
    one = fc
    for i in range(fitted, len(y)):
        one = one.update(y.iloc[i : i + 1])
    for live in (one, fc.update(y.iloc[fitted:])):
        assert live.n_obs_ == len(y) and live.last_timestamp_ == y.index[-1]
        np.testing.assert_allclose(live.predict(H).forecast, expected, rtol=1e-9)
    if name == "tsb":  # its constants are given, not fitted: the same as a fit on all of it
        np.testing.assert_allclose(one.predict(H).forecast, _statsforecast(name, y.to_numpy()))


def test_aggregating_methods_smooth_buckets_of_the_mean_interval():
    y = slow_item()
    adida = _fit(ADIDAForecaster(), y)
    gaps = np.diff(np.flatnonzero(y.to_numpy()) + 1, prepend=0)
    k = round(float(gaps.mean()))
    assert k >= 2 and [level for level, _ in adida.aggregation_] == [k]
    imapa = _fit(IMAPAForecaster(), y)
    assert [level for level, _ in imapa.aggregation_] == list(range(1, k + 1))


def test_tsb_decays_while_no_demand_comes_and_croston_holds():
    y = slow_item()
    tsb, croston = _fit(TSBForecaster(), y), _fit(CrostonForecaster(), y)
    quiet = pd.Series(0.0, index=pd.date_range(y.index[-1], periods=11, freq="W-MON")[1:])
    assert tsb.update(quiet).predict(1).forecast[0] < 0.5 * tsb.predict(1).forecast[0]
    assert croston.update(quiet).predict(1).forecast[0] == croston.predict(1).forecast[0]


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
def test_a_history_without_demand_forecasts_zero_until_one_comes(name):
    zeros = pd.Series(0.0, index=pd.date_range("2021-01-04", periods=40, freq="W-MON"))
    fc = _fit(_build(name), zeros)
    assert (fc.predict(H).forecast == 0).all()
    assert _statsforecast(name, zeros.to_numpy()) == 0
    first = pd.Series([0.0, 6.0], index=pd.date_range("2021-10-11", periods=2, freq="W-MON"))
    assert first.index[0] == zeros.index[-1] + pd.Timedelta(weeks=1)
    out = fc.update(first).predict(H).forecast
    assert np.isfinite(out).all() and (out > 0).all()


@pytest.mark.parametrize("name", INTERMITTENT_ALGORITHMS)
def test_the_fitted_form_names_the_method_its_constants_and_the_demand_it_forecasts(name):
    """The model page's "Fitted model" reads `fitted_form`: an intermittent method says which
    it is, the smoothing constants its fit chose, and the demand per step it forecasts."""
    y = slow_item()
    fc = _fit(_build(name), y)
    form = fc.fitted_form()
    names = {"croston": "Croston (optimised)", "tsb": "TSB", "adida": "ADIDA", "imapa": "IMAPA"}
    assert form["kind"] == "intermittent" and form["name"] == names[name]
    rate = float(fc.predict(1, (80,)).forecast[0])
    assert form["demand_per_step"] == pytest.approx(rate)
    assert form["text"].startswith(f"{names[name]}: ") and f"{rate:.4g} per step" in form["text"]
    if name == "croston":
        assert 0 < form["alpha_size"] <= 1 and 0 < form["alpha_interval"] <= 1
    elif name == "tsb":
        assert (form["alpha_d"], form["alpha_p"]) == (0.1, 0.1)
    else:
        levels = form["aggregation"]
        assert levels and all(k >= 1 and 0 < a <= 1 for k, a in levels)
        assert len(levels) == 1 if name == "adida" else len(levels) >= 1
    assert json.loads(json.dumps(form)) == form  # kept on the model card as JSON
    assert _build(name).fitted_form() == {}  # nothing fitted, nothing said
