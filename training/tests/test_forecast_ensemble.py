"""The ensemble combines the near-best candidates: those whose backtest MASE trails the best one's
by at most `tolerance`, up to `size` of them, never the seasonal naive baseline; the refit
reserve counts the members it would refit. When the ensemble is chosen, the backtest winner is
averaged with ARIMA."""

import numpy as np

from training.forecasting.ensemble import (
    combined_backtest,
    ensemble_backtest,
    ensemble_members,
    hedge_members,
)
from training.forecasting.refit import refit_reserve
from training.forecasting.settings import resolve_params
from training.forecasting.windows import Window


def _results(scores: dict[str, float]) -> dict[str, dict]:
    """Backtest results with one window each: a forecast off by the given MASE (scale 1)."""
    out = {}
    for name, mase in scores.items():
        bounds = {lv: (np.full(4, -9.0), np.full(4, 9.0)) for lv in (80, 95)}
        win = Window(np.zeros(4), np.full(4, mase), bounds, 1.0, cutoff=20)
        out[name] = {"metrics": {"mase": mase}, "windows": [[win]], "fit_time_s": 1.0}
    return out


def test_members_are_the_candidates_within_the_tolerance_of_the_best():
    results = _results({"seasonal_naive": 0.5, "ets": 1.0, "arima": 1.05, "theta": 1.09,
                        "mstl": 1.2, "linear_lags": 1.5})  # fmt: skip
    params = resolve_params(["ensemble"], {})["ensemble"]
    assert params["tolerance"] == 0.1 and params["size"] == 5
    # Seasonal naive is a baseline, never a member, even when it scored best.
    assert ensemble_members(results, params) == ["ets", "arima", "theta"]
    assert ensemble_members(results, {**params, "size": 2}) == ["ets", "arima"]
    assert ensemble_members(results, {**params, "tolerance": 0.0}) == ["ets"]
    assert ensemble_members(results, {**params, "tolerance": 10.0}) == [
        "ets", "arima", "theta", "mstl", "linear_lags"
    ]  # fmt: skip


def test_no_ensemble_when_the_best_stands_alone():
    params = resolve_params(["ensemble"], {})["ensemble"]
    results = _results({"seasonal_naive": 1.0, "ets": 0.5, "arima": 0.8})
    assert ensemble_backtest(results, params, (80, 95)) is None
    close = _results({"seasonal_naive": 1.0, "ets": 0.5, "arima": 0.52})
    ens = ensemble_backtest(close, params, (80, 95))
    assert ens is not None and ens["members"] == ["ets", "arima"]
    np.testing.assert_allclose(ens["windows"][0][0].forecast, np.full(4, 0.51))


def test_refit_reserve_counts_the_ensemble_members():
    scores = {"seasonal_naive": 1.0, "ets": 0.5, "arima": 0.52, "theta": 0.54, "mstl": 0.9}
    results = _results(scores)
    series = [type("S", (), {"y": np.zeros(24)})()]
    params = resolve_params(["ensemble"], {})["ensemble"]
    alone = refit_reserve(results, series, 1, 4, None)
    with_ensemble = refit_reserve(results, series, 1, 4, params)
    per_model = refit_reserve(_results({"ets": 0.5}), series, 1, 4, None) - 1.0
    # Rank 1 and seasonal naive; with the ensemble also arima and theta (mstl trails too far).
    assert np.isclose(alone - 1.0, 2 * per_model)
    assert np.isclose(with_ensemble - 1.0, 4 * per_model)


def test_the_winner_is_averaged_with_arima_unless_it_is_arima_or_an_ensemble():
    results = _results({"seasonal_naive": 1.0, "theta": 0.4, "arima": 0.8, "ets": 0.9})
    assert hedge_members(results, ["theta", "arima", "ets", "seasonal_naive"]) == ["theta", "arima"]
    # Seasonal naive winning is hedged too: ARIMA's backtest trails it, not by far.
    assert hedge_members(results, ["seasonal_naive", "theta"]) == ["seasonal_naive", "arima"]
    assert hedge_members(results, ["arima", "theta"]) == []
    assert hedge_members(results, ["ensemble", "theta", "arima"]) == []
    assert hedge_members(_results({"theta": 0.4, "ets": 0.5}), ["theta", "ets"]) == []
    assert hedge_members(results, []) == []


def test_the_hedged_pair_is_backtested_as_the_mean_of_its_members():
    results = _results({"theta": 0.4, "arima": 0.8})
    pair = combined_backtest(results, ["theta", "arima"], "mean", (80, 95))
    assert pair["members"] == ["theta", "arima"]
    np.testing.assert_allclose(pair["windows"][0][0].forecast, np.full(4, 0.6))
    assert np.isclose(pair["metrics"]["mase"], 0.6)
    assert pair["fit_time_s"] == 2.0


def test_refit_reserve_counts_arima_when_the_winner_is_averaged_with_it():
    # The winner (ets) stands alone (no near-best ensemble), but it is averaged with arima.
    results = _results({"seasonal_naive": 1.0, "ets": 0.5, "arima": 0.8})
    series = [type("S", (), {"y": np.zeros(24)})()]
    params = resolve_params(["ensemble"], {})["ensemble"]
    per_model = refit_reserve(_results({"ets": 0.5}), series, 1, 4, None) - 1.0
    assert np.isclose(refit_reserve(results, series, 1, 4, None) - 1.0, 2 * per_model)
    assert np.isclose(refit_reserve(results, series, 1, 4, params) - 1.0, 3 * per_model)
