"""Calibration phase: add backtest windows inside the history to the rank-1 candidate (origins
every half horizon, newest first) and recalibrate its intervals on all of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from training.forecasting.backtest import FitPlan, forecast_window
from training.forecasting.ensemble import combine_windows
from training.forecasting.inputs import SeriesData
from training.forecasting.intervals import conformal_only, fit_intervals, interval_card
from training.forecasting.windows import Window

logger = logging.getLogger(__name__)

CALIBRATION_WINDOWS = 12  # backtest windows the rank-1 model's intervals are calibrated on
# Shortest training part a calibration window is fitted on, as a share of the history: windows
# fitted on much less data than the deployed refit err more (a 41-point yearly series backtested
# from 8 points), which widened the intervals of short series beyond their promise.
HISTORY_SHARE = 0.5


def calibration_origins(
    res: dict[str, Any], series: list[SeriesData], plan: FitPlan
) -> list[list[int]]:
    """Per series, the new window origins (training lengths) to add: every half horizon from
    the newest back to `plan.min_train` or `HISTORY_SHARE` of the series, whichever is later,
    skipping those already backtested, up to `CALIBRATION_WINDOWS` windows in all."""
    step = max(1, plan.horizon // 2)
    plans = []
    for si, s in enumerate(series):
        have = {w.cutoff for w in res["windows"][si]}
        oldest = max(plan.min_train, int(HISTORY_SHARE * len(s.y)))
        starts = range(len(s.y) - plan.horizon, oldest - 1, -step)
        cutoffs = [c for c in starts if c not in have]
        plans.append(cutoffs[: max(0, CALIBRATION_WINDOWS - len(have))])
    return plans


def calibrate(
    name: str,
    results: dict[str, dict[str, Any]],
    series: list[SeriesData],
    plan: FitPlan,
    *,
    deadline: float,
    check_stop: Callable[[], None],
) -> int:
    """Add backtest windows to one candidate until it has `CALIBRATION_WINDOWS` or time runs out
    (then `res["calibration_cut"]` is set), and recalibrate its intervals on all of them.
    Returns the number of windows added."""
    res = results[name]
    extra = _extra_windows(name, res, series, plan, deadline, check_stop)
    added = sum(len(e) for e in extra)
    if added == 0:
        return 0
    windows = [
        sorted(res["windows"][si] + extra[si], key=lambda w: w.cutoff) for si in range(len(series))
    ]
    ranked_on = [{w.cutoff for w in res["windows"][si]} for si in range(len(series))]
    members = res.get("members") or [name]
    fit = fit_intervals(windows, plan.levels, ranked_on, conformal=conformal_only(members))
    res["calibration"] = fit
    res["intervals"] = interval_card(fit, plan.levels)
    for lv in plan.levels:
        res["metrics"][f"coverage_{lv}"] = fit["coverage"][lv]
    return added


def _extra_windows(
    name: str,
    res: dict[str, Any],
    series: list[SeriesData],
    plan: FitPlan,
    deadline: float,
    check_stop: Callable[[], None],
) -> list[list[Window]]:
    """The added windows per series, one origin of each series in turn, until the next one is
    predicted (from the last one's cost) to end after `deadline`."""
    members = res.get("members") or [name]
    combine = plan.params.get("ensemble", {}).get("combine", "mean")
    origins = calibration_origins(res, series, plan)
    extra: list[list[Window]] = [[] for _ in series]
    # Until one is measured, a calibration window costs what a backtest window did.
    last_cost = float(res.get("fit_time_s", 0.0)) / max(sum(map(len, res["windows"])), 1)
    for j in range(max((len(p) for p in origins), default=0)):
        for si, s in enumerate(series):
            if j >= len(origins[si]):
                continue
            check_stop()
            if time.monotonic() + last_cost > deadline:
                res["calibration_cut"] = True
                return extra
            t0 = time.monotonic()
            try:
                parts = [forecast_window(m, s, origins[si][j], plan) for m in members]
            except ValueError as exc:
                # Too short a history for a member (e.g. its lags): the older origins are
                # shorter still, so this series keeps the windows it has and the rest go on.
                logger.info("No calibration window for %s at %d: %s", name, origins[si][j], exc)
                origins[si] = origins[si][:j]
                continue
            extra[si].append(
                parts[0] if len(parts) == 1 else combine_windows(parts, combine, plan.levels)
            )
            last_cost = time.monotonic() - t0
    return extra
