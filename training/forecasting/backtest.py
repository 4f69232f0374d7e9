"""Backtest phase: build a candidate forecaster for one series, forecast one window from one
origin, and backtest an algorithm by rolling origin over every series (metrics, calibrated
intervals and residual analysis)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from modeling.forecasters import PreparedForecaster
from modeling.metrics import forecast_metrics, mase_scale, residual_summary
from preprocessing.series import fill_gaps
from training.forecasting.inputs import SeriesData
from training.forecasting.intervals import conformal_only, fit_intervals, interval_card
from training.forecasting.settings import SPECS
from training.forecasting.windows import Window


@dataclass(frozen=True)
class FitPlan:
    """What every fit of one run shares: frequency, horizon, levels, resolved hyperparameters
    per algorithm, series preparation and lag options, seed, and the backtest windows."""

    freq: str
    horizon: int
    levels: tuple[int, ...]
    params: dict[str, dict[str, Any]]
    prep: dict[str, Any]
    feat: dict[str, Any]
    random_state: int
    n_windows: int  # rolling-origin windows every candidate is ranked on
    min_train: int  # shortest history a calibration window may be fitted on


class OutOfTime(Exception):  # noqa: N818 - a signal inside the engine, not an error
    """The backtest deadline passed (or is predicted to pass before the backtest ends)."""


def build_forecaster(name: str, s: SeriesData, plan: FitPlan, horizon: int) -> PreparedForecaster:
    """An unfitted `name` forecaster for one series, wrapped in its series preparation
    (`horizon` is what the forecaster is told to expect: the window's, or 1 for a refit). A
    series whose season was dropped (too short for two) fits every model without one."""
    params = plan.params[name]
    if s.season_dropped and "season_length" in params:
        params = {**params, "season_length": 1}
    context = {
        "freq": plan.freq,
        "season_lengths": s.seasons,
        "horizon": horizon,
        "random_state": plan.random_state,
    }
    factory = SPECS[name].factory
    if factory is None:  # the ensemble: built from its members' refits, never here
        raise ValueError(f"{name} has no forecaster of its own to build.")
    inner = factory(params, context)
    for key, value in plan.feat.items():
        if hasattr(inner, key) and (key != "lags" or not params.get("max_lag")):
            setattr(inner, key, value)
    return PreparedForecaster(inner, **plan.prep)


def forecast_window(name: str, s: SeriesData, cutoff: int, plan: FitPlan) -> Window:
    """Fit on the first `cutoff` values of the series and forecast the next `plan.horizon`."""
    horizon, levels = plan.horizon, plan.levels
    train, test = s.y.iloc[:cutoff], s.y.iloc[cutoff : cutoff + horizon]
    fc = build_forecaster(name, s, plan, horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(train, freq=plan.freq)
        out = fc.predict(horizon, levels)
    bounds = {
        lv: (out.intervals[str(lv)]["lower"], out.intervals[str(lv)]["upper"]) for lv in levels
    }
    scale = cast(float, mase_scale(fill_gaps(train).to_numpy(), s.m))  # floored: never None
    return Window(test.to_numpy(float), out.forecast, bounds, scale, cutoff)


def backtest(
    name: str,
    series: list[SeriesData],
    plan: FitPlan,
    *,
    deadline: float | None,
    check_stop: Callable[[], None],
) -> dict[str, Any]:
    """Rolling-origin backtest of one algorithm over every series (`plan.n_windows` windows of
    `plan.horizon` steps ending with the history).

    Gives up (`OutOfTime`) as soon as the fits done so far show that the rest would not end
    before `deadline`, so the time is left to the algorithms after it."""
    n_windows, horizon = plan.n_windows, plan.horizon
    per_series: list[list[Window]] = []
    t0, total, done = time.monotonic(), len(series) * n_windows, 0
    for s in series:
        wins = []
        for w in range(n_windows):
            check_stop()
            now = time.monotonic()
            if deadline is not None and (
                now > deadline or (done and now + (now - t0) / done * (total - done) > deadline)
            ):
                raise OutOfTime
            cutoff = len(s.y) - (n_windows - w) * horizon
            wins.append(forecast_window(name, s, cutoff, plan))
            done += 1
        per_series.append(wins)
    return summarise(per_series, plan.levels, conformal=conformal_only([name]))


def _mean_known(values: list[float]) -> float:
    """The mean of the values that are not NaN; NaN (without numpy's warning) when none is."""
    known = [v for v in values if not np.isnan(v)]
    return float(np.mean(known)) if known else float("nan")


def summarise(
    per_series: list[list[Window]], levels: tuple[int, ...], *, conformal: bool = False
) -> dict[str, Any]:
    """Metrics averaged over windows and series, each window's MASE (per series, oldest window
    first; NaN where a window held no actual value), calibrated intervals (conformal alone with
    `conformal`: `intervals.conformal_only`) and residual analysis."""
    by_window = [
        [forecast_metrics(w.actual, w.forecast, w.scale) for w in wins] for wins in per_series
    ]
    rows = [r for wins in by_window for r in wins if r]
    metrics = {k: _mean_known([r[k] for r in rows]) for k in rows[0]}
    fit = fit_intervals(per_series, levels, conformal=conformal)
    for lv in levels:
        metrics[f"coverage_{lv}"] = fit["coverage"][lv]
    for lv in (80, 95):
        metrics.setdefault(f"coverage_{lv}", float("nan"))
    residuals = np.concatenate([w.actual - w.forecast for w in per_series[0]])
    residuals = residuals[np.isfinite(residuals)]
    return {
        "metrics": metrics,
        "window_mase": [[r.get("mase", float("nan")) for r in wins] for wins in by_window],
        "windows": per_series,
        "calibration": fit,
        "intervals": interval_card(fit, levels),
        "residuals": residual_analysis(residuals),
    }


def residual_analysis(residuals: np.ndarray) -> dict[str, Any]:
    """The figures of the backtest errors (first series) that a tabular model's hold-out
    residuals also get (`modeling.metrics.residual_summary`: n, mean, std, median, p05, p95),
    and a Ljung-Box autocorrelation test of them."""
    out: dict[str, Any] = residual_summary(residuals)
    if len(residuals) >= 10 and np.std(residuals) > 0:
        from statsmodels.stats.diagnostic import acorr_ljungbox

        lags = max(1, min(10, len(residuals) // 5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lb = acorr_ljungbox(residuals, lags=[lags])
        out["ljung_box_lags"] = lags
        out["ljung_box_p"] = float(lb["lb_pvalue"].iloc[0])
    return out
