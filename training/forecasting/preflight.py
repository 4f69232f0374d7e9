"""What a forecasting run will do with a series too short for it, said before training: the
engine's own plan (`inputs.history_plan`: the checked horizon, the dropped season, the ranking
windows) in sentences for the dataset's "Before training" checks. Django-free."""

from __future__ import annotations

from training.forecasting.inputs import HistoryPlan, history_plan
from training.forecasting.settings import FEW_WINDOWS


def _windows(n: int) -> str:
    return f"{n} backtest window{'' if n == 1 else 's'}"


def plan_warnings(plan: HistoryPlan) -> list[str]:
    """The sentences for what `plan` leaves weaker than a long series would (each names what
    will happen); [] when the series is long enough for the season and every ranking window."""
    out: list[str] = []
    checked, asked = plan.checked_horizon, plan.horizon
    if checked < asked:
        out.append(
            f"the backtests check forecasts only {checked} steps ahead, not {asked}: steps "
            f"{checked + 1} to {asked} and their intervals are extrapolated"
        )
    if plan.windows < plan.ranking_windows:
        noise = (
            ", so the choice between close models is mostly noise"
            if plan.windows < FEW_WINDOWS
            else ""
        )
        out.append(
            f"the models are ranked on {_windows(plan.windows)} instead of "
            f"{plan.ranking_windows}{noise}"
        )
    if plan.season_dropped:
        out.append(
            f"seasonal models are fitted without the season: keeping its {plan.season}-step "
            f"season takes {plan.seasonal_need} steps (two seasons and the {checked}-step "
            "backtest window), so seasonal naive becomes naive and MSTL is skipped"
        )
    return out


def history_warnings(steps: int, freq: str | None, horizon: int, label: str) -> list[str]:
    """One "Before training" warning for a series of `steps` observations at `freq` forecast
    `horizon` steps ahead (`label` says whose horizon it is, such as "the default horizon"), or
    [] when the engine runs on it as on a long series or refuses it (fewer steps than a
    backtest needs: the start request says so)."""
    plan = history_plan(steps, freq, horizon)
    if plan is None:
        return []
    found = plan_warnings(plan)
    if not found:
        return []
    return [
        f"Forecasting {horizon} step{'' if horizon == 1 else 's'} ahead ({label}) from "
        f"{steps} steps of history: {'; '.join(found)}."
    ]
