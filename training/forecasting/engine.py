"""The forecasting engine: `run_forecast_automl` runs the phases in order (prepare the input,
backtest the algorithms, combine an ensemble, calibrate the best one's intervals, refit the kept
ones) and returns the candidates ranked by backtest MASE, except that the winner averaged with
ARIMA goes first when the ensemble is chosen (`ensemble.hedge_members`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

import pandas as pd

from datasets.columns import non_numeric_phrase
from datasets.frequency import default_season_length
from preprocessing.builder import series_preparation
from preprocessing.config import PreprocessingConfig
from training.budget import Ledger
from training.forecasting.backtest import FitPlan
from training.forecasting.calibration import CALIBRATION_WINDOWS, calibrate
from training.forecasting.ensemble import combined_backtest, ensemble_backtest, hedge_members
from training.forecasting.inputs import (
    PreparedInput,
    feature_params,
    min_length,
    prepare,
    window_count,
)
from training.forecasting.model import ForecastCandidate
from training.forecasting.refit import refit_candidates
from training.forecasting.run import CALIBRATION_SHARE, EventSink, Run
from training.forecasting.search import run_backtests
from training.forecasting.settings import FEW_WINDOWS, Cancelled, ForecastSettings

logger = logging.getLogger(__name__)


def _noop(kind: str, payload: dict[str, Any]) -> None:
    return None


def _never() -> bool:
    return False


def run_forecast_automl(
    df: pd.DataFrame,
    settings: ForecastSettings,
    *,
    on_event: EventSink = _noop,
    should_stop: Callable[[], bool] = _never,
) -> list[ForecastCandidate]:
    """Backtest forecasting algorithms by rolling origin and return candidates ranked by MASE
    (the winner averaged with ARIMA first, when the ensemble is chosen).

    Every returned candidate carries a `ForecastModel` refitted on the whole history. Stays
    within `settings.time_budget_s` (skipping the remaining algorithms; seasonal_naive always
    runs), raises `ForecastError` for input that cannot be forecast and `Cancelled` when
    `should_stop()` turns true between fits. Events go to `on_event(kind, payload)` ("log",
    "progress") like the tabular engine's.
    """
    start = time.monotonic()
    ledger = Ledger(settings.time_budget_s, on_event, start=start)
    data = prepare(df, settings)
    run = Run(settings, data, fit_plan(settings, data), ledger, on_event, should_stop, start)
    _log_input(run)
    ledger.mark("backtest")
    run_backtests(run)
    ledger.mark("calibration")
    if "ensemble" in settings.algorithms:
        _add_ensemble(run)
    results = run.results
    ranked = sorted(results, key=lambda n: (results[n]["metrics"]["mase"], n != "seasonal_naive"))
    if "ensemble" in settings.algorithms:
        ranked = _hedge(run, ranked)
    if ranked:
        _calibrate_best(run, ranked[0])
    ledger.mark("refit")
    candidates = refit_candidates(run, ranked)
    best = candidates[0] if candidates else None
    on_event(
        "progress",
        {
            "progress": 1.0,
            "best_metric": best.primary_value if best else None,
            "estimated_time_remaining": 0.0,
            "algorithm": best.algorithm if best else None,
        },
    )
    if best:
        run.log(f"Best: {run.label(best.algorithm)} (MASE {best.primary_value:.4f}).")
    return candidates


def fit_plan(settings: ForecastSettings, data: PreparedInput) -> FitPlan:
    """What every fit of this run shares; backtest windows of the checked horizon (the asked
    one unless no history holds it), as many as asked for that fit in the shortest series after
    the shortest training history (at least one)."""
    horizon = data.checked_horizon
    # Each series needs its own training part before the oldest window (two seasons, or a few
    # points when its season was dropped); the windows must fit in every series.
    spare = min(len(s.y) - (min_length(s.m, horizon) - horizon) for s in data.series)
    min_train = max(min_length(s.m, horizon) - horizon for s in data.series)
    return FitPlan(
        freq=data.freq,
        horizon=horizon,
        levels=settings.levels,
        params=settings.params,
        prep=series_preparation(cast(PreprocessingConfig, settings.preprocessing_config)),
        feat=feature_params(settings.feature_config),
        random_state=settings.random_state,
        n_windows=window_count(spare, horizon, settings.n_windows),
        min_train=min_train,
    )


def _log_input(run: Run) -> None:
    report, series, windows = run.data.report, run.series, run.plan.n_windows
    run.log(
        f"{len(series)} series at frequency {run.data.freq}, {report['n_gaps']} missing steps, "
        f"{report['n_duplicates']} duplicate timestamps; seasons "
        f"{sorted({p for s in series for p in s.seasons}) or 'none'}; "
        f"{windows} backtest window(s) of {run.plan.horizon} steps."
    )
    _log_empty_target(run)
    asked, checked = run.settings.horizon, run.plan.horizon
    if checked < asked:
        longest = max(len(s.y) for s in series)
        run.log(
            f"The history holds {longest} steps, so the backtests check forecasts only "
            f"{checked} steps ahead, not the asked {asked}: the models are ranked on those, and "
            f"steps {checked + 1} to {asked} are forecast with intervals extrapolated beyond "
            "what was checked.",
            "warning",
        )
    if windows < min(FEW_WINDOWS, run.settings.n_windows):
        run.log(f"Only {windows} backtest window(s) fit in the history.", "warning")
    elif windows < run.settings.n_windows:
        run.log(f"{windows} of {run.settings.n_windows} backtest windows fit in the history.")
    m = default_season_length(run.data.freq)
    dropped = [s.key for s in series if s.season_dropped]
    if dropped:
        which = "The series" if not run.settings.id_column else f"Series {_ids(dropped)}"
        run.log(
            f"{which} {'has' if len(dropped) == 1 else 'have'} fewer than two seasons of {m} "
            "steps before the last backtest window, so "
            "the models are fitted without a season (seasonal naive becomes naive, MSTL is "
            "skipped) and MASE is scaled by the one-step naive forecast.",
            "warning",
        )
    left_out = run.data.left_out
    if left_out:
        reasons = "; ".join(f"{k!r}: {why}" for k, why in list(left_out.items())[:10])
        more = f" and {len(left_out) - 10} more" if len(left_out) > 10 else ""
        run.log(
            f"Left out {len(left_out)} series too short or too sparse to forecast, which the "
            f"models do not forecast ({reasons}{more}).",
            "warning",
        )


def _log_empty_target(run: Run) -> None:
    """Say how many rows have no target value and where they are, and, for series whose last
    rows are empty, that their forecasts start after the last observed value."""
    data, target = run.data, run.settings.target
    if not data.no_target_rows:
        return
    empty = data.empty.values()
    leading = sum(e.leading for e in empty)
    trailing = sum(e.trailing for e in empty)
    inner = sum(e.inner for e in empty)
    edges = [f"{leading} before the first value"] if leading else []
    edges += [f"{trailing} after the last"] if trailing else []
    said = [f"{' and '.join(edges)} {'is' if leading + trailing == 1 else 'are'} left out"]
    said = said if edges else []
    if inner:
        verb = "is" if inner == 1 else "are"
        said.append(f"{inner} between values {verb} filled like missing steps")
    # Values that are no numbers ("oops") are named apart from the empty ones, as the dataset
    # page names them; both are read as missing.
    info = run.settings.target_info or {}
    not_numbers = min(int(info.get("non_numeric_count") or 0), data.no_target_rows)
    empty_rows = data.no_target_rows - not_numbers
    told = [f"'{target}' has {non_numeric_phrase(dict(info))}"] if not_numbers else []
    if empty_rows:
        told.append(f"{'1 row has' if empty_rows == 1 else f'{empty_rows} rows have'} no value")
    what = " and ".join(told) if not_numbers else f"{told[0]} of '{target}'"
    run.log(f"{what[0].upper()}{what[1:]}: {'; '.join(said) or 'none is used'}.")
    ends = {k: e for k, e in data.empty.items() if e.trailing and e.last_value is not None}
    if not ends:
        return
    if not run.settings.id_column:
        e = next(iter(ends.values()))
        rows = "row" if e.trailing == 1 else f"{e.trailing} rows"
        run.log(
            f"The last {rows}, from {_when(e.first_empty_end)}, have no value of '{target}': "
            f"forecasts start after the last observed value, {_when(e.last_value)}.",
            "warning",
        )
        return
    shown = list(ends.items())[:10]
    listed = [f"{k!r} after {_when(e.last_value)} ({e.trailing} empty)" for k, e in shown]
    more = f" and {len(ends) - 10} more" if len(ends) > 10 else ""
    run.log(
        f"{len(ends)} series end with rows without a value of '{target}'; their forecasts start "
        f"after their last observed value: {', '.join(listed)}{more}.",
        "warning",
    )


def _when(ts: pd.Timestamp | None) -> str:
    """A grid timestamp for a log line: its date alone when it falls on midnight."""
    if ts is None:
        return "?"
    stamp = pd.Timestamp(ts)
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()


def _ids(keys: list[Any], limit: int = 10) -> str:
    """Series ids for a log line: the first `limit`, then how many more."""
    shown = ", ".join(repr(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _add_ensemble(run: Run) -> None:
    """Add the ensemble of the best backtested candidates to the results (when two qualify)."""
    ens = ensemble_backtest(run.results, run.plan.params["ensemble"], run.plan.levels)
    if ens is not None:
        run.results["ensemble"] = ens
        members = ", ".join(run.label(m) for m in ens["members"])
        run.log(f"ensemble of {members}: backtest MASE {ens['metrics']['mase']:.4f}.")


def _hedge(run: Run, ranked: list[str]) -> list[str]:
    """Rank first the ensemble of the backtest winner and ARIMA (`hedge_members`), in place of
    the near-best ensemble; the ranking unchanged when there is no such pair."""
    members = hedge_members(run.results, ranked)
    if not members:
        return ranked
    pair = combined_backtest(run.results, members, "mean", run.plan.levels)
    replaced = " in place of the near-best ensemble" if "ensemble" in run.results else ""
    run.results["ensemble"] = pair
    winner, hedge = (run.label(m) for m in members)
    run.log(
        f"Ranked first{replaced}: the ensemble of {winner}, the backtest winner, and {hedge} "
        f"(backtest MASE {pair['metrics']['mase']:.4f}). A few backtest windows cannot tell "
        "which of two close models will do better next; on public series the average of the "
        "two was closer to what came next than the winner alone."
    )
    return ["ensemble", *(n for n in ranked if n != "ensemble")]


def _calibrate_best(run: Run, name: str) -> None:
    """Calibrate the rank-1 candidate's intervals on more windows within its share of the
    budget; on failure its backtest calibration stays (logged)."""
    run.check_stop()
    try:
        added = calibrate(
            name,
            run.results,
            run.series,
            run.plan,
            deadline=run.start + run.until(CALIBRATION_SHARE),
            check_stop=run.check_stop,
        )
    except Cancelled:
        raise
    except Exception as exc:  # calibration is a refinement; the backtest one stays
        logger.exception("Calibrating the intervals of %s failed", name)
        run.log(f"Calibrating the intervals of {run.label(name)} failed: {exc}", "warning")
        added = 0
    card = run.results[name]["intervals"]
    run.log(
        f"{run.label(name)}: intervals ({card['method']}) calibrated on "
        f"{card['calibration_windows']} backtest window(s) ({added} added)."
    )
    if run.results[name].get("calibration_cut"):
        run.ledger.decide(
            "calibration",
            "shortened",
            f"{run.label(name)}: intervals calibrated on {card['calibration_windows']} backtest "
            f"windows, not {CALIBRATION_WINDOWS}: the time budget allowed no more.",
            algorithm=name,
            added=added,
        )
