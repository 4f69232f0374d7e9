"""Search phase: the order to backtest the algorithms in (likely winners for the series'
seasonality first) and the loop that backtests each within its share of the time budget."""

from __future__ import annotations

import logging
import time
from typing import Any

from datasets.frequency import default_season_length
from modeling.forecast_catalog import INTERMITTENT_ALGORITHMS
from modeling.forecasters import SeriesTooShort, and_list
from training.forecasting.backtest import OutOfTime, backtest
from training.forecasting.inputs import (
    INTERMITTENT_ZERO_SHARE,
    SeriesData,
    intermittent,
    is_intermittent,
    zero_share,
)
from training.forecasting.run import SEARCH_SHARE, Run
from training.forecasting.settings import Cancelled

logger = logging.getLogger(__name__)

# Search order by the kind of seasonality (after seasonal_naive, which always runs first): the
# models that usually win for that kind come first so that a short budget still reaches them.
ORDER_MULTI_SEASONAL = ("mstl", "arima", "linear_lags", "gbm_lags", "theta", "ets")
ORDER_LONG_SEASON = ("mstl", "arima", "linear_lags", "theta", "ets", "gbm_lags")
ORDER_SHORT_SEASON = ("ets", "arima", "theta", "linear_lags", "mstl", "gbm_lags")


def candidate_algorithms(run: Run) -> list[str]:
    """The algorithms this run backtests: the chosen ones, and, when the choice is the automatic
    one and the series are intermittent demand (`inputs.intermittent`), the intermittent-demand
    methods too (said in the log). Otherwise the chosen ones exactly."""
    chosen = list(run.settings.algorithms)
    if not run.settings.auto or not intermittent(run.series):
        return chosen
    added = [n for n in INTERMITTENT_ALGORITHMS if n not in chosen]
    if added:
        if len(run.series) == 1:
            which = (
                f"The series is intermittent demand ({zero_share(run.series[0].y):.0%} of its "
                "values are 0)"
            )
        else:
            count = sum(is_intermittent(s.y) for s in run.series)
            which = (
                f"{count} of {len(run.series)} series are intermittent demand (at least "
                f"{INTERMITTENT_ZERO_SHARE:.0%} of their values are 0)"
            )
        names = [run.label(n) for n in added]
        run.log(f"{which}: {and_list(names)} join the candidates.")
    return chosen + added


def search_order(names: list[str], series: list[SeriesData], freq: str) -> list[str]:
    """Algorithms in the order to backtest them: seasonal_naive first (it always finishes), the
    intermittent-demand methods (quick, and chosen for such series), then the models most
    likely to win for this kind of seasonality, so short budgets still reach them. Several
    seasons (hourly: day and week) or a season longer than 24 steps (weekly, half-hourly) put
    MSTL and ARIMA with Fourier terms first; short seasons put ETS first."""
    seasons = [p for s in series for p in s.seasons]
    longest = max(seasons or [default_season_length(freq)])
    if any(len(s.seasons) >= 2 for s in series):
        order = ORDER_MULTI_SEASONAL
    elif longest > 24:
        order = ORDER_LONG_SEASON
    else:
        order = ORDER_SHORT_SEASON
    rank = {n: i for i, n in enumerate(("seasonal_naive", *INTERMITTENT_ALGORITHMS, *order))}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))


def run_backtests(run: Run) -> None:
    """Backtest every chosen single algorithm in search order into `run.results`, skipping
    those the time left (after the reserved refits) no longer allows; seasonal_naive always
    runs. A failing algorithm is logged and left out."""
    chosen = candidate_algorithms(run)
    singles = search_order([n for n in chosen if n != "ensemble"], run.series, run.plan.freq)
    total = len(singles) + (1 if "ensemble" in chosen else 0)
    for done, name in enumerate(singles):
        run.check_stop()
        elapsed = run.elapsed()
        backtest_budget = run.until(SEARCH_SHARE)
        if name != "seasonal_naive" and elapsed > backtest_budget:
            run.ledger.decide(
                "backtest",
                "skipped",
                f"Time budget reached; skipped {run.label(name)} (the rest is kept for "
                "calibrating, refitting and saving the best models).",
                algorithm=name,
            )
            continue
        if name == "mstl" and not any(s.seasons for s in run.series):
            run.log(f"Skipped {run.label(name)}: no seasonality detected.")
            continue
        deadline = None if name == "seasonal_naive" else run.start + backtest_budget
        res = _backtest_one(run, name, deadline)
        if res is not None:
            run.results[name] = res
            _report(run, name, done + 1, total)


def _backtest_one(run: Run, name: str, deadline: float | None) -> dict[str, Any] | None:
    """One algorithm's backtest with its fit time; None (logged) when it ran out of time or
    failed."""
    t0 = time.monotonic()
    try:
        res = backtest(name, run.series, run.plan, deadline=deadline, check_stop=run.check_stop)
    except Cancelled:
        raise
    except OutOfTime:
        run.ledger.decide(
            "backtest",
            "skipped",
            f"Time budget reached during {run.label(name)}; it was dropped (its backtest was "
            "predicted not to end in time).",
            algorithm=name,
        )
        return None
    except SeriesTooShort as exc:  # expected on short series: said, with no traceback
        logger.info("%s left out: %s", name, exc)
        run.log(f"{run.label(name)} left out: {exc}", "info")
        return None
    except Exception as exc:  # one failing algorithm must not sink the search
        logger.exception("Backtesting %s failed", name)
        run.log(f"{run.label(name)} failed during backtesting: {exc}", "warning")
        return None
    res["fit_time_s"] = time.monotonic() - t0
    return res


def _report(run: Run, name: str, done: int, total: int) -> None:
    """Log the algorithm's backtest score and send the search progress (`done` of `total`)."""
    res = run.results[name]
    best = min(r["metrics"]["mase"] for r in run.results.values())
    elapsed = run.elapsed()
    run.log(
        f"{run.label(name)}: backtest MASE {res['metrics']['mase']:.4f} ({res['fit_time_s']:.2f}s)."
    )
    run.on_event(
        "progress",
        {
            "progress": round(0.85 * done / total, 4),
            "best_metric": best,
            "estimated_time_remaining": max(0.0, min(run.budget, elapsed / done * total) - elapsed),
            "algorithm": name,
        },
    )
