"""Calibration: extra backtest windows inside the history (robust to members that cannot fit the
shortest histories), errors rescaled to the series' current spread, and the windows a candidate
was ranked on kept out of its intervals when enough others exist."""

import numpy as np
import pandas as pd

from modeling.forecast_catalog import LAG_MIN_ROWS
from modeling.forecasters import conformal_widths
from training.forecasting import ForecastSettings
from training.forecasting.backtest import backtest
from training.forecasting.calibration import HISTORY_SHARE, calibrate, calibration_origins
from training.forecasting.engine import fit_plan
from training.forecasting.inputs import prepare
from training.forecasting.intervals import (
    MIN_UNRANKED,
    calibrating_windows,
    fit_intervals,
    scaled_errors,
)
from training.forecasting.windows import Window


def _quarterly(n: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    t = np.arange(n)
    y = 50 + 0.4 * t + 5 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 1.0, n)
    return pd.DataFrame({"q": pd.date_range("2000-01-01", periods=n, freq="QS"), "y": y})


def test_calibration_keeps_the_windows_a_member_can_fit_when_older_origins_are_too_short():
    settings = ForecastSettings(
        time_column="q",
        target="y",
        horizon=8,
        algorithms=["seasonal_naive", "linear_lags"],
        n_windows=3,  # six would start the lag model's ranking windows before its 60 rows
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
    assert min(origins) < LAG_MIN_ROWS < max(origins)

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
    # The added windows calibrate; the ranking windows join only when they are too few.
    expected = added if added >= MIN_UNRANKED else plan.n_windows + added
    assert res["intervals"]["calibration_windows"] == expected
    assert not res.get("calibration_cut")


def test_calibration_windows_are_fitted_on_at_least_a_share_of_the_history():
    settings = ForecastSettings(
        time_column="q", target="y", horizon=8, algorithms=["seasonal_naive", "ets"]
    )
    data = prepare(_quarterly(60), settings)
    plan = fit_plan(settings, data)
    res = backtest("ets", data.series, plan, deadline=None, check_stop=lambda: None)
    origins = calibration_origins(res, data.series, plan)[0]
    # Without the share, origins would reach back to the 8-point minimum (room for 12 windows).
    assert plan.min_train < HISTORY_SHARE * 60
    assert origins and min(origins) >= HISTORY_SHARE * 60
    assert len(origins) + plan.n_windows < 12
    # The newest origins come first, every half horizon, none already backtested.
    assert origins == sorted(origins, reverse=True)
    assert all((60 - 8 - c) % 4 == 0 for c in origins)
    assert not {w.cutoff for w in res["windows"][0]} & set(origins)


def _windows(spreads: list[float], scales: list[float], seed: int = 0) -> list[Window]:
    """Backtest windows of 6 steps, errors with the given spreads, model bounds far too wide."""
    rng = np.random.default_rng(seed)
    wins = []
    for i, (spread, scale) in enumerate(zip(spreads, scales, strict=True)):
        bounds = {lv: (-1e3 * np.ones(6), 1e3 * np.ones(6)) for lv in (80, 95)}
        actual = rng.normal(0, spread, 6)
        wins.append(Window(actual, np.zeros(6), bounds, scale, cutoff=50 + 6 * i))
    return wins


def test_errors_of_older_windows_are_rescaled_to_the_newest_windows_scale():
    # A series whose spread doubled: its scale (in-sample naive error) doubled with it.
    wins = _windows([1.0] * 6 + [2.0] * 6, [1.0] * 6 + [2.0] * 6)
    errs = scaled_errors(wins)
    for w, e in zip(wins, errs, strict=True):
        np.testing.assert_allclose(e, (w.actual - w.forecast) * 2.0 / w.scale)
    fit = fit_intervals([wins], (80, 95))
    np.testing.assert_allclose(fit["errors"][0], np.vstack(errs))


def test_ranking_windows_calibrate_only_when_too_few_others_exist():
    wins = _windows([1.0] * 12, [1.0] * 12)
    ranked = {w.cutoff for w in wins[-3:]}
    assert calibrating_windows(wins, ranked) == list(range(9))
    fit = fit_intervals([wins], (80, 95), [ranked])
    assert fit["errors"][0].shape == (9, 6) and fit["n_windows"] == 9
    # Three windows besides the ranking ones are too few: every window calibrates.
    few = wins[-6:]
    assert calibrating_windows(few, ranked) == list(range(6))
    assert fit_intervals([few], (80, 95), [ranked])["n_windows"] == 6


def test_selected_small_ranking_errors_do_not_narrow_the_intervals():
    # The winner looked best on its ranking windows (tiny errors); the others show its real spread.
    wins = _windows([1.0] * 9 + [0.05] * 3, [1.0] * 12, seed=4)
    ranked = {w.cutoff for w in wins[-3:]}
    with_ranking = fit_intervals([wins], (80, 95))
    without = fit_intervals([wins], (80, 95), [ranked])
    wide = conformal_widths(without["errors"][0], 6, 80)
    narrow = conformal_widths(with_ranking["errors"][0], 6, 80)
    assert (wide >= narrow).all() and wide.mean() > narrow.mean()
