"""What a forecasting run will do with a series too short for it, said before training: the
engine's own plan (`inputs.series_plan`: the checked horizon, the series left out, the dropped
seasons, the ranking windows; with several series judged on the short ones) in sentences for the
dataset's "Before training" checks. Django-free."""

from __future__ import annotations

from collections.abc import Sequence

from training.forecasting.inputs import MIN_TRAIN, HistoryPlan, series_plan
from training.forecasting.settings import FEW_WINDOWS


def _windows(n: int) -> str:
    return f"{n} backtest window{'' if n == 1 else 's'}"


def _of(count: int, total: int, series: str = "series") -> str:
    """ "3 of 12 series have", "1 of 4 series has"."""
    return f"{count} of {total} {series} {'has' if count == 1 else 'have'}"


def plan_warnings(plan: HistoryPlan) -> list[str]:
    """The sentences for what `plan` leaves weaker than long series would (each names what
    will happen, and with several series how many of them it happens to); [] when every series
    is long enough for the season and every ranking window."""
    out: list[str] = []
    checked, asked = plan.checked_horizon, plan.horizon
    total = len(plan.lengths)
    if checked < asked:
        out.append(
            f"the backtests check forecasts only {checked} steps ahead, not {asked}: steps "
            f"{checked + 1} to {asked} and their intervals are extrapolated"
        )
    if plan.left_out:
        out.append(
            f"{_of(plan.left_out, total)} fewer than {plan.kept_need} steps ({MIN_TRAIN} to "
            f"train a backtest window on and the {checked} it checks), so "
            f"{'it is' if plan.left_out == 1 else 'they are'} left out and not forecast"
        )
    if plan.windows < plan.ranking_windows:
        noise = (
            ", so the choice between close models is mostly noise"
            if plan.windows < FEW_WINDOWS
            else ""
        )
        every = (
            " (the windows must fit in every series, and "
            f"{_of(plan.short_series, total - plan.left_out, 'forecast series')} room for fewer)"
            if total > 1
            else ""
        )
        out.append(
            f"the models are ranked on {_windows(plan.windows)} instead of "
            f"{plan.ranking_windows}{every}{noise}"
        )
    if plan.season_dropped:
        keeping = (
            f"keeping its {plan.season}-step season takes {plan.seasonal_need} steps (two "
            f"seasons and the {checked}-step backtest window)"
        )
        if total == 1:
            out.append(
                f"seasonal models are fitted without the season: {keeping}, so seasonal naive "
                "becomes naive and MSTL is skipped"
            )
        else:
            out.append(
                f"{_of(plan.dropped, total)} fewer than {plan.seasonal_need} steps, so "
                f"seasonal models are fitted on {'it' if plan.dropped == 1 else 'them'} without "
                f"the season ({keeping}): seasonal naive becomes naive and MSTL is skipped"
            )
    return out


def series_warnings(
    lengths: Sequence[int], freq: str | None, horizon: int, label: str
) -> list[str]:
    """One "Before training" warning for series of `lengths` observations (`inputs.series_lengths`)
    at `freq` forecast `horizon` steps ahead, judged as the engine plans them
    (`inputs.series_plan`: the short series are the ones that lose windows, their season or
    their forecast); [] when it runs on them as on long series or refuses them."""
    plan = series_plan(lengths, freq, horizon)
    if plan is None:
        return []
    found = plan_warnings(plan)
    if not found:
        return []
    if len(plan.lengths) == 1:
        history = f"{plan.longest} steps of history"
    else:
        history = (
            f"{len(plan.lengths)} series of {plan.shortest} to {plan.longest} steps of history"
        )
    return [
        f"Forecasting {horizon} step{'' if horizon == 1 else 's'} ahead ({label}) from "
        f"{history}: {'; '.join(found)}."
    ]
