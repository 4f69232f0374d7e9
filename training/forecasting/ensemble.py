"""Ensemble: combine the best candidates' backtest windows (no refitting) into the ensemble's
backtest, and build its deployable forecaster from the members' refits."""

from __future__ import annotations

from typing import Any

import numpy as np

from modeling.forecasters import EnsembleForecaster, Forecaster
from training.forecasting.backtest import FitPlan, build_forecaster, summarise
from training.forecasting.inputs import SeriesData
from training.forecasting.windows import Window


def combine_windows(parts: list[Window], combine: str, levels: tuple[int, ...]) -> Window:
    """The ensemble's window: members' forecasts and bounds combined by mean or median."""
    agg = np.median if combine == "median" else np.mean
    bounds = {
        lv: (
            agg([p.bounds[lv][0] for p in parts], axis=0),
            agg([p.bounds[lv][1] for p in parts], axis=0),
        )
        for lv in levels
    }
    forecast = agg([p.forecast for p in parts], axis=0)
    return Window(parts[0].actual, forecast, bounds, parts[0].scale, parts[0].cutoff)


def ensemble_backtest(
    results: dict[str, dict[str, Any]], params: dict[str, Any], levels: tuple[int, ...]
) -> dict[str, Any] | None:
    """Combine the best non-baseline candidates' stored backtest forecasts (no refitting);
    None when fewer than two candidates qualify."""
    pool = [
        n
        for n in sorted(results, key=lambda n: results[n]["metrics"]["mase"])
        if n != "seasonal_naive"
    ]
    members = pool[: int(params.get("size", 3))]
    if len(members) < 2:
        return None
    combine = params.get("combine", "mean")
    per_series = []
    for si in range(len(results[members[0]]["windows"])):
        wins = []
        for wi in range(len(results[members[0]]["windows"][si])):
            parts = [results[m]["windows"][si][wi] for m in members]
            wins.append(combine_windows(parts, combine, levels))
        per_series.append(wins)
    res = summarise(per_series, levels)
    res["members"] = members
    res["fit_time_s"] = sum(results[m].get("fit_time_s", 0.0) for m in members)
    return res


def ensemble_forecaster(
    members: list[str],
    s: SeriesData,
    plan: FitPlan,
    fitted: dict[str, dict[Any, Forecaster]],
) -> Forecaster:
    """The ensemble's forecaster for one whole series: members already refitted are reused, the
    others are fitted here."""
    parts = []
    for m in members:
        if m in fitted:
            parts.append(fitted[m][s.key])
        else:
            parts.append(build_forecaster(m, s, plan, 1).fit(s.y, freq=plan.freq))
    return EnsembleForecaster.from_fitted(parts, plan.params["ensemble"].get("combine", "mean"))
