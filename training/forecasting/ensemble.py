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


def ensemble_members(results: dict[str, dict[str, Any]], params: dict[str, Any]) -> list[str]:
    """The best non-baseline candidates, up to `size`, whose backtest MASE is within
    `tolerance` (a fraction) of the best one's; `params` are the ensemble's resolved
    hyperparameters (the catalogue holds their defaults). On a few backtest windows,
    candidates that close cannot be told apart, and their mean is steadier than whichever
    looked best."""
    scores = {n: results[n]["metrics"]["mase"] for n in results if n != "seasonal_naive"}
    pool = sorted(scores, key=lambda n: scores[n])
    if not pool:
        return []
    limit = scores[pool[0]] * (1.0 + float(params["tolerance"]))
    return [n for n in pool[: int(params["size"])] if scores[n] <= limit]


def ensemble_backtest(
    results: dict[str, dict[str, Any]], params: dict[str, Any], levels: tuple[int, ...]
) -> dict[str, Any] | None:
    """Combine the stored backtest forecasts (no refitting) of the near-best non-baseline
    candidates (`ensemble_members`); None when fewer than two qualify."""
    members = ensemble_members(results, params)
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
