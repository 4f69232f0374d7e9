"""Limits and defaults of a pipeline's settings, shared by the stages that check them: the
longest horizon, the default horizon for a frequency and a series length, and when a horizon
leaves a series too little history to learn its season. Django-free, so the forecasting engine
can import them too.
"""

from __future__ import annotations

from datasets.frequency import default_season_length
from datasets.timeseries import checked_horizon, min_history

MAX_HORIZON = 10_000  # the most steps ahead a forecasting pipeline may ask for

# The M4 competition's horizons per frequency (yearly 6, quarterly 8, monthly 18, ...).
M4_HORIZONS = {"Y": 6, "A": 6, "Q": 8, "M": 18, "W": 13, "D": 14, "B": 10, "h": 48, "H": 48}
# A default horizon is at most this share of the series (1/5): a short series keeps most of
# itself to learn from and to backtest on.
SHORT_SERIES_SHARE = 5


def frequency_horizon(freq: str | None) -> int:
    """The M4 horizon of a frequency (18 months, 14 days, 48 hours...); 12 when unknown."""
    if not freq:
        return 12
    base = freq.lstrip("0123456789").split("-")[0]
    for key in (base, base[:2], base[:1]):
        if key in M4_HORIZONS:
            return M4_HORIZONS[key]
    if base.lower().startswith(("min", "t", "30")):
        return 96
    return 12


def default_horizon(freq: str | None, n_steps: int | None) -> int:
    """The horizon a forecasting pipeline without one is trained for: the frequency's M4
    horizon, for a series of `n_steps` steps at most a fifth of it and at most what keeps two
    seasons before the last backtest window (when any horizon can). Series long enough keep
    the M4 horizon; unknown lengths (`None`) too."""
    horizon = frequency_horizon(freq)
    if not n_steps:
        return horizon
    horizon = min(horizon, max(1, n_steps // SHORT_SERIES_SHARE))
    keeps_season = n_steps - min_history(default_season_length(freq), 0)
    return min(horizon, keeps_season) if keeps_season >= 1 else horizon


def short_history_note(freq: str | None, n_steps: int | None, horizon: int) -> str:
    """A warning when forecasting `horizon` steps ahead leaves a series of `n_steps` steps
    fewer than two seasons of history before its last backtest window (training then drops the
    season and scores the models on little history), or when the series cannot even hold the
    horizon plus `MIN_TRAIN_POINTS` (the backtests then check fewer steps than are forecast);
    "" when it leaves enough, the series has no season to keep, or its length is unknown. Not
    a refusal."""
    checked = checked_horizon(n_steps or 0, horizon)
    if n_steps and 1 <= checked < horizon:
        return (
            f"The series holds {n_steps} steps, so backtests can check forecasts only "
            f"{checked} steps ahead, not {horizon}: the models are ranked on those {checked} "
            f"steps, and steps {checked + 1} to {horizon} and their intervals are extrapolated. "
            f"A horizon of {checked} or fewer is checked in full."
        )
    season = default_season_length(freq)
    need = min_history(season, horizon)
    if not n_steps or need <= min_history(1, horizon) or n_steps >= need:
        return ""
    left = max(n_steps - horizon, 0)
    keeps = n_steps - min_history(season, 0)
    advice = (
        f"A horizon of {keeps} or fewer keeps two seasons."
        if keeps >= 1
        else "The series is too short to keep two seasons at any horizon."
    )
    return (
        f"A horizon of {horizon} leaves {left} of the {n_steps} steps before the last "
        f"backtest window, fewer than two seasons ({2 * season} steps): the models are fitted "
        f"without a season and scored on little history. {advice}"
    )
