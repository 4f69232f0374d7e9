"""Calibration phase: extra backtest windows inside the history, robust to members that cannot
fit the shortest histories."""

import numpy as np
import pandas as pd

from training.forecasting import ForecastSettings
from training.forecasting.backtest import backtest
from training.forecasting.calibration import calibrate, calibration_origins
from training.forecasting.engine import fit_plan
from training.forecasting.inputs import prepare


def _quarterly(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    t = np.arange(n)
    y = 50 + 0.4 * t + 5 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 1.0, n)
    return pd.DataFrame({"q": pd.date_range("2000-01-01", periods=n, freq="QS"), "y": y})


def test_calibration_keeps_the_windows_a_member_can_fit_when_older_origins_are_too_short():
    settings = ForecastSettings(
        time_column="q", target="y", horizon=8, algorithms=["seasonal_naive", "linear_lags"]
    )
    data = prepare(_quarterly(), settings)
    plan = fit_plan(settings, data)
    results = {
        "linear_lags": backtest(
            "linear_lags", data.series, plan, deadline=None, check_stop=lambda: None
        )
    }
    origins = calibration_origins(results["linear_lags"], data.series, plan)[0]
    # The oldest origins leave fewer points than the lag model needs; it raises there.
    assert min(origins) == plan.min_train < 20

    added = calibrate(
        "linear_lags",
        results,
        data.series,
        plan,
        deadline=float("inf"),
        check_stop=lambda: None,
    )

    res = results["linear_lags"]
    assert 0 < added < len(origins)
    assert res["intervals"]["calibration_windows"] == plan.n_windows + added
    assert not res.get("calibration_cut")
