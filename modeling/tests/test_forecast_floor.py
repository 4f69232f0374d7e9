"""Forecasts of a series whose every value is >= 0 (counts, amounts) never go below zero: the
point forecast and every interval bound are floored at 0 in `Forecaster._output`, the one place
every forecaster, wrapper, ensemble and live-updated copy answers through."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from modeling.forecasters import (
    ARIMAForecaster,
    EnsembleForecaster,
    ETSForecaster,
    PreparedForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
)

LEVELS = (80, 95)


def _counts(shift: float = 0.0) -> pd.Series:
    """Yearly counts like R's `discoveries`: small, often 0 or 1, never negative (plus `shift`)."""
    rng = np.random.default_rng(4)
    values = rng.poisson(2.5, 90).astype(float) + shift
    return pd.Series(values, index=pd.date_range("1860-01-01", periods=90, freq="YS"))


def _fit(forecaster, y: pd.Series):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forecaster.fit(y)


def _lowest(out) -> float:
    return min(float(np.min(out.intervals[k]["lower"])) for k in out.intervals)


def _nested(out) -> bool:
    lo80, hi80 = out.intervals["80"]["lower"], out.intervals["80"]["upper"]
    lo95, hi95 = out.intervals["95"]["lower"], out.intervals["95"]["upper"]
    return bool(
        np.all(lo95 <= lo80)
        and np.all(lo80 <= out.forecast)
        and np.all(out.forecast <= hi80)
        and np.all(hi80 <= hi95)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: SeasonalNaiveForecaster(1),
        lambda: ETSForecaster(1),
        lambda: ThetaForecaster(1),
        lambda: ARIMAForecaster(1),
        lambda: PreparedForecaster(SeasonalNaiveForecaster(1)),
    ],
)
def test_intervals_of_a_non_negative_series_stay_at_or_above_zero(make):
    fitted = _fit(make(), _counts())
    assert fitted.floor_ == 0.0
    out = fitted.predict(30, LEVELS)
    assert _lowest(out) == 0.0 and float(out.forecast.min()) >= 0.0
    assert _nested(out)
    # The model's own bounds did go below zero: the floor is what keeps them there.
    raw = fitted.predict_uncalibrated(30, LEVELS)
    fitted.floor_ = None
    assert _lowest(fitted.predict(30, LEVELS)) < 0.0
    assert _lowest(raw) == 0.0


def test_a_series_with_a_negative_value_is_not_floored():
    y = _counts(shift=-0.5)  # values from -0.5
    fitted = _fit(SeasonalNaiveForecaster(1), y)
    assert fitted.floor_ is None
    assert _lowest(fitted.predict(10, LEVELS)) < 0.0


def test_a_log_transformed_inner_model_is_floored_on_the_series_scale_only():
    y = _counts(shift=1.0)  # >= 1, so log values are >= 0 too
    fitted = _fit(PreparedForecaster(SeasonalNaiveForecaster(1), transforms=[{"type": "log"}]), y)
    assert fitted.floor_ == 0.0 and fitted.forecaster.floor_ is None
    assert _nested(fitted.predict(10, LEVELS))


def test_ensembles_are_floored_whether_fitted_or_built_from_fitted_members():
    y = _counts()
    fitted = _fit(EnsembleForecaster([SeasonalNaiveForecaster(1), ETSForecaster(1)]), y)
    assert _lowest(fitted.predict(20, LEVELS)) == 0.0
    members = [_fit(SeasonalNaiveForecaster(1), y), _fit(ThetaForecaster(1), y)]
    built = EnsembleForecaster.from_fitted(members)
    assert built.floor_ == 0.0 and _lowest(built.predict(20, LEVELS)) >= 0.0
    members[1].floor_ = None
    assert EnsembleForecaster.from_fitted(members).floor_ is None


def test_live_updates_keep_the_floor_until_a_negative_observation_arrives():
    fitted = _fit(SeasonalNaiveForecaster(1), _counts())
    stamps = pd.date_range("1950-01-01", periods=2, freq="YS")
    updated = fitted.update(pd.Series([0.0, 1.0], index=stamps))
    assert updated.floor_ == 0.0 and _lowest(updated.predict(20, LEVELS)) == 0.0
    state = json.loads(json.dumps(updated.live_state()))
    assert fitted.with_live_state(state).floor_ == 0.0
    negative = updated.update(pd.Series([-3.0], index=pd.date_range("1952-01-01", periods=1)))
    assert negative.floor_ is None and fitted.floor_ == 0.0
    restored = fitted.with_live_state(json.loads(json.dumps(negative.live_state())))
    assert restored.floor_ is None and _lowest(restored.predict(20, LEVELS)) < 0.0
    # A state saved before the floor existed keeps the fitted one.
    old = {k: v for k, v in state.items() if k != "floor"}
    assert fitted.with_live_state(old).floor_ == 0.0


def test_a_model_saved_before_the_floor_existed_is_not_floored():
    fitted = _fit(SeasonalNaiveForecaster(1), _counts())
    del fitted.floor_
    assert _lowest(fitted.predict(20, LEVELS)) < 0.0
