"""Lag regressors built by the catalogue learn only from enough rows of lag features."""

import numpy as np
import pandas as pd
import pytest

from modeling.forecast_catalog import FORECASTING_SPECS, LAG_MIN_ROWS
from modeling.forecasters import LagRegressionForecaster


def _quarterly(n: int) -> pd.Series:
    rng = np.random.default_rng(1)
    t = np.arange(n)
    y = 20 + 0.3 * t + 3 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 0.5, n)
    return pd.Series(y, index=pd.date_range("1990-01-01", periods=n, freq="QS"))


@pytest.mark.parametrize("name", ["linear_lags", "gbm_lags"])
def test_catalogue_lag_models_refuse_short_histories_and_fit_long_ones(name):
    spec = next(s for s in FORECASTING_SPECS if s.name == name)
    context = {"freq": "QS", "season_lengths": [4], "horizon": 8, "random_state": 0}
    params = spec.resolve({"n_estimators": 20} if name == "gbm_lags" else {})
    with pytest.raises(ValueError, match=f"at least {LAG_MIN_ROWS} needed"):
        spec.factory(params, context).fit(_quarterly(50))
    out = spec.factory(params, context).fit(_quarterly(120)).predict(8)
    assert np.isfinite(out.forecast).all()


def test_a_lag_model_built_directly_keeps_the_small_minimum():
    fc = LagRegressionForecaster("ridge").fit(_quarterly(50))
    assert fc.min_rows == 10 and np.isfinite(fc.predict(4).forecast).all()
