"""Input phase: check a time-series frame and turn it into regular per-series histories, and read
the lag-feature options from the pipeline's features config (the series preparation options are
`preprocessing.builder.series_preparation`'s)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datasets.frequency import default_season_length
from datasets.timeseries import (
    MIN_TRAIN_POINTS,
    checked_horizon,
    min_history,
    past_calendar_sentence,
    readable_ids,
    steps_past_calendar,
)
from features.config import FeatureConfig, FeatureConfigError
from features.series import detect_seasonalities
from preprocessing.series import (
    SeriesError,
    SparseSeriesError,
    check_grid_coverage,
    fill_gaps,
    grid_covered,
    regularize,
)
from training.forecasting.settings import (
    RANKING_WINDOWS,
    ConstantTarget,
    ForecastError,
    ForecastSettings,
    HistoryTooShort,
    HorizonPastCalendar,
    SparseSeries,
)


@dataclass
class SeriesData:
    """One regular series to forecast: its id, values, detected seasons and MASE season;
    `season_dropped` when it has too few seasons for the seasonal models (they fit with none)."""

    key: Any
    y: pd.Series
    seasons: list[int]
    m: int  # MASE / seasonal-naive season
    season_dropped: bool = False


@dataclass(frozen=True)
class EmptyTarget:
    """Where a series' grid has no value of the target: the steps before its first value and
    after its last (left out: the history is trimmed to its values), the steps between them
    (filled like missing steps), and the timestamps around the empty end."""

    leading: int
    trailing: int
    inner: int
    last_value: pd.Timestamp | None  # the last observed value's timestamp
    first_empty_end: pd.Timestamp | None  # the first step of the empty end (trailing > 0)


@dataclass
class PreparedInput:
    """The regularised series with their common frequency, time zone and regularisation report,
    the horizon the backtests check (the asked one, or fewer steps when no history holds it),
    the ids of the series left out as too short or too sparse (id -> reason), how many of the
    frame's rows have no target value, and each kept series' empty target steps."""

    series: list[SeriesData]
    freq: str
    timezone: str | None
    report: dict[str, Any]
    checked_horizon: int
    left_out: dict[Any, str] = field(default_factory=dict)
    no_target_rows: int = 0
    empty: dict[Any, EmptyTarget] = field(default_factory=dict)


MIN_TRAIN = MIN_TRAIN_POINTS  # observations the oldest backtest window trains on, season dropped


def min_length(m: int, horizon: int) -> int:
    """Observations needed: the horizon plus two seasons (seasons up to 24 steps) or
    `MIN_TRAIN` points (`datasets.timeseries.min_history`, the rule the setup page warns by)."""
    return min_history(m, horizon)


def series_need(n: int, m: int, horizon: int) -> tuple[int, bool]:
    """(observations needed, whether the season is dropped) for a series of `n` observations
    whose frequency has season `m`: two seasons plus the horizon when it has them; otherwise
    the season is dropped (fitted as 1) and `MIN_TRAIN` points plus the horizon are enough,
    one backtest window with a few points to train on."""
    full = min_length(m, horizon)
    if n >= full:
        return full, False
    short = min_length(1, horizon)
    return short, full > short


def mase_season(n: int, m: int, dropped: bool) -> int:
    """The season a series of `n` observations is fitted and scaled with: the frequency's `m`,
    or 1 when the season is dropped or the series is no longer than one season."""
    return 1 if dropped or n <= m else m


def window_count(spare: int, horizon: int, asked: int) -> int:
    """Backtest windows of `horizon` steps a run ranks on: as many as fit in `spare`
    observations (those after the shortest series' training part), at most `asked` and at
    least one."""
    return max(1, min(asked, spare // horizon))


@dataclass(frozen=True)
class HistoryPlan:
    """What the engine will do with series of `lengths` observations asked `horizon` steps ahead
    (the numbers of `prepare` and `engine.fit_plan`): the horizon its backtests check (what the
    longest series holds), the series left out as too short for it (fewer than `kept_need`
    observations), whether the season of `season` steps is dropped for some series (fewer than
    `seasonal_need` observations keep it) and how many of the `ranking_windows` backtest windows
    fit in every kept series (`short_series` of them hold fewer on their own)."""

    lengths: tuple[int, ...]
    horizon: int
    checked_horizon: int
    season: int
    season_dropped: bool
    seasonal_need: int
    windows: int
    ranking_windows: int
    kept_need: int = 0
    left_out: int = 0  # series too short to forecast at the checked horizon
    dropped: int = 0  # kept series fitted without their season
    short_series: int = 0  # kept series too short on their own for every ranking window

    @property
    def longest(self) -> int:
        """The longest series' observations (the one series' of a single-series file)."""
        return max(self.lengths)

    @property
    def shortest(self) -> int:
        """The shortest series' observations."""
        return min(self.lengths)


def series_plan(
    lengths: Sequence[int],
    freq: str | None,
    horizon: int,
    ranking_windows: int = RANKING_WINDOWS,
) -> HistoryPlan | None:
    """The plan of a forecasting run on series of `lengths` observations (`series_lengths`) at
    `freq`, `horizon` steps ahead, as the engine makes it: the checked horizon is what the
    longest series holds, a series too short for it is left out, each kept series keeps or
    drops its season on its own, and the ranking windows are the ones that fit in every kept
    series. None when no series can be backtested one step (the start request refuses it)."""
    if not lengths:
        return None
    checked = checked_horizon(max(lengths), horizon)
    if checked < 1:
        return None
    m = default_season_length(freq)
    kept_need = min_length(1, checked)
    kept = [n for n in lengths if n >= kept_need]
    drops = [series_need(n, m, checked)[1] for n in kept]
    # each series' observations after its own training part (two seasons, or a few points when
    # its season is dropped): the windows must fit in every one (`engine.fit_plan`)
    spares = [
        n - (min_length(mase_season(n, m, drop), checked) - checked)
        for n, drop in zip(kept, drops, strict=True)
    ]
    return HistoryPlan(
        lengths=tuple(lengths),
        horizon=horizon,
        checked_horizon=checked,
        season=m,
        season_dropped=any(drops),
        seasonal_need=min_length(m, checked),
        windows=window_count(min(spares), checked, ranking_windows),
        ranking_windows=ranking_windows,
        kept_need=kept_need,
        left_out=len(lengths) - len(kept),
        dropped=sum(drops),
        short_series=sum(
            window_count(spare, checked, ranking_windows) < ranking_windows for spare in spares
        ),
    )


# Share of zero observations from which a non-negative series is intermittent demand: a little
# stricter than the usual cut of an average interval between demands of 1.32 (Syntetos and
# Boylan; 24% zeros), so that counts that are merely often 0 stay with the usual candidates (the
# bench's hourly flights from Newark, 0 at night, are 26% zeros).
INTERMITTENT_ZERO_SHARE = 0.3


def zero_share(y: pd.Series) -> float:
    """The share of a history's observed values (gaps aside) that are exactly 0; 0.0 when it
    has none, or when any is negative (the series is then not demand)."""
    values = y.to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0 or float(values.min()) < 0.0:
        return 0.0
    return float(np.mean(values == 0.0))


def is_intermittent(y: pd.Series) -> bool:
    """Whether one training history is intermittent demand: no negative value and at least
    `INTERMITTENT_ZERO_SHARE` of its observed values 0 (a slow item's weekly sales)."""
    return zero_share(y) >= INTERMITTENT_ZERO_SHARE


def intermittent(series: Sequence[SeriesData]) -> bool:
    """Whether a run's series are intermittent demand, which adds the intermittent-demand
    methods to an automatic run: the one series of a file, or at least half of a file's
    several series (one model is chosen for all of them, so a few slow items among many
    regular ones do not make it worth backtesting methods the rest would not use)."""
    if not series:
        return False
    return 2 * sum(is_intermittent(s.y) for s in series) >= len(series)


def prepare(df: pd.DataFrame, settings: ForecastSettings) -> PreparedInput:
    """Check the frame against the settings and regularise it into per-series regular Series;
    raises `ForecastError` with one clear sentence when it cannot be forecast. Series too short
    for the checked horizon are left out (`left_out`) while at least one is long enough."""
    histories, freq, report, left_out, empty, checked = _histories(df, settings)
    _check_varies(histories)
    m = default_season_length(freq)
    series = []
    for key, y in histories.items():
        dropped = series_need(len(y), m, checked)[1]
        seasons = [] if dropped else detect_seasonalities(fill_gaps(y), freq)
        series.append(SeriesData(key, y, seasons, mase_season(len(y), m, dropped), dropped))
    no_target = int(pd.to_numeric(df[settings.target], errors="coerce").isna().sum())
    kept_empty = {k: e for k, e in empty.items() if k in histories}
    return PreparedInput(
        series, freq, report.get("timezone"), report, checked, left_out, no_target, kept_empty
    )


def check_input(df: pd.DataFrame, settings: ForecastSettings) -> None:
    """Raise the `ForecastError` that `prepare` would for the shape of the data (no frequency, a
    grid mostly without values, no series long enough to backtest one step), without detecting
    seasons: what a start request can refuse before a job is queued."""
    _check_varies(_histories(df, settings)[0])


def _check_varies(histories: dict[Any, pd.Series]) -> None:
    """Refuse series that each hold a single value (a whole column of one value is refused
    when the pipeline is set; several series can each be flat at a different level)."""
    if all(y.nunique(dropna=True) <= 1 for y in histories.values()):
        if len(histories) > 1:
            raise ConstantTarget(
                "Each series holds a single value, so there is nothing to forecast."
            )
        raise ConstantTarget("The target is constant, so there is nothing to forecast.")


def series_lengths(df: pd.DataFrame, settings: ForecastSettings) -> list[int]:
    """The observations of each series of the frame the engine plans on (`series_plan`): its
    regular grid trimmed to its first and last value of the target; a mostly empty series among
    full ones is left out whatever its length. Raises the `ForecastError` the engine would for
    the shape of the data (no frequency, a grid mostly without values). The settings' horizon
    is not used."""
    histories, _freq, _report, _empty, sparse = _regular_histories(df, settings)
    return [len(y) for key, y in histories.items() if key not in sparse]


def _regular_histories(
    df: pd.DataFrame, settings: ForecastSettings
) -> tuple[dict[Any, pd.Series], str, dict[str, Any], dict[Any, EmptyTarget], dict[Any, str]]:
    """(regular histories trimmed to their values by id, frequency, regularisation report, each
    series' empty target steps, why each mostly empty series among full ones is left out) of a
    frame mostly made of observed steps, whatever the horizon."""
    frame = _selected_frame(df, settings)
    id_column = settings.id_column
    try:
        reg, report = regularize(
            frame, settings.time_column, None, id_column=id_column, target=settings.target
        )
    except SeriesError as exc:
        raise ForecastError(str(exc)) from exc
    freq = report["frequency"]
    groups = reg.groupby(id_column, sort=False) if id_column else [(None, reg)]
    grids = {key: _grid_values(part, settings) for key, part in groups}
    histories = {key: _trimmed(y) for key, y in grids.items()}
    empty = {key: _empty_target(grids[key], histories[key]) for key in grids}
    steps = sum(len(y) for y in histories.values())
    try:
        check_grid_coverage(steps, sum(int(y.isna().sum()) for y in histories.values()), freq)
    except SparseSeriesError as exc:
        raise SparseSeries(str(exc)) from exc
    # one mostly empty series among full ones is left out on its own
    sparse = {
        key: (
            f"values at only {int(y.notna().sum())} of its {len(y)} steps at frequency "
            f"{freq} (at least half are needed)"
        )
        for key, y in histories.items()
        if len(histories) > 1 and not grid_covered(len(y), int(y.isna().sum()))
    }
    return histories, freq, report, empty, sparse


def _histories(
    df: pd.DataFrame, settings: ForecastSettings
) -> tuple[dict[Any, pd.Series], str, dict[str, Any], dict[Any, str], dict[Any, EmptyTarget], int]:
    """(regular histories long enough to forecast by id, frequency, regularisation report,
    reasons of the series left out, each series' empty target steps, the horizon the backtests
    check) of a frame mostly made of observed steps. The checked horizon is the asked one when
    some series holds it plus `MIN_TRAIN` points; otherwise what the longest series holds, and
    the forecast's later steps go unchecked."""
    histories, freq, report, empty, sparse = _regular_histories(df, settings)
    id_column = settings.id_column
    longest = max((len(y) for k, y in histories.items() if k not in sparse), default=0)
    checked = checked_horizon(longest, settings.horizon)
    left_out: dict[Any, str] = {}
    for key, y in histories.items():
        if len(y) < min_length(1, max(checked, 1)):  # too short even without a season
            left_out[key] = _too_short(len(y), freq, checked, settings.horizon)
        elif key in sparse:
            left_out[key] = sparse[key]
    kept = {k: y for k, y in histories.items() if k not in left_out}
    if not kept:
        key, why = next(iter(left_out.items()))
        label = f"Series {key!r}" if id_column else "The series"
        raise HistoryTooShort(
            f"{'No series is long enough to forecast: ' if len(left_out) > 1 else ''}{label} "
            f"has {why} ({MIN_TRAIN} to train a backtest window on and one step to check its "
            "forecast), so use a longer history."
        )
    last = max(y.index[-1] for y in kept.values())
    most = steps_past_calendar(last, freq, settings.horizon)
    if most is not None:
        raise HorizonPastCalendar(past_calendar_sentence(settings.horizon, freq, most))
    return kept, freq, report, left_out, empty, checked


def _grid_values(part: pd.DataFrame, settings: ForecastSettings) -> pd.Series:
    """One series' values on its whole grid (first to last timestamp of the file)."""
    return pd.Series(
        part[settings.target].to_numpy(float), index=pd.DatetimeIndex(part[settings.time_column])
    )


def _trimmed(y: pd.Series) -> pd.Series:
    """A series' values trimmed to its first and last value."""
    if y.first_valid_index() is None:
        return y.iloc[:0]
    return y.loc[y.first_valid_index() : y.last_valid_index()]


def _empty_target(grid: pd.Series, history: pd.Series) -> EmptyTarget:
    """The steps of `grid` without a value: before and after the trimmed `history`, and in it."""
    if history.empty:
        return EmptyTarget(len(grid), 0, 0, None, None)
    last = history.index[-1]
    after = grid.index[grid.index > last]
    return EmptyTarget(
        leading=int((grid.index < history.index[0]).sum()),
        trailing=len(after),
        inner=int(history.isna().sum()),
        last_value=last,
        first_empty_end=after[0] if len(after) else None,
    )


def _too_short(n: int, freq: str, checked: int, horizon: int) -> str:
    """Why a series of `n` observations is not forecast beside series backtested `checked`
    steps ahead for a horizon of `horizon` (a phrase)."""
    if checked < 1:
        return f"{n} observations at frequency {freq}; at least {MIN_TRAIN + 1} are needed"
    need = min_length(1, checked)
    if checked == horizon:
        return (
            f"{n} observations at frequency {freq}; at least {need} are needed for a horizon "
            f"of {horizon}"
        )
    return (
        f"{n} observations at frequency {freq}; at least {need} are needed for backtests of "
        f"{checked} steps"
    )


def _selected_frame(df: pd.DataFrame, settings: ForecastSettings) -> pd.DataFrame:
    """The time, target (numeric) and id columns of a non-empty frame."""
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise ForecastError("The data is empty.")
    time_column, target, id_column = settings.time_column, settings.target, settings.id_column
    for col, what in ((time_column, "time"), (target, "target")):
        if col not in df.columns:
            raise ForecastError(f"The {what} column {col!r} is not in the data.")
    if id_column and id_column not in df.columns:
        raise ForecastError(f"The id column {id_column!r} is not in the data.")
    values = pd.to_numeric(df[target], errors="coerce")
    if values.notna().sum() == 0:
        raise ForecastError(f"The target column {target!r} has no numeric values.")
    frame = df[[time_column, target] + ([id_column] if id_column else [])].copy()
    frame[target] = values
    if id_column:
        frame[id_column] = readable_ids(frame[id_column])
    if len(frame) < 2:
        raise ForecastError("The data has a single row; a forecast needs a history.")
    return frame


def feature_params(feature_config: FeatureConfig | Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides for the lag regressors from a features config (parsed by `FeatureConfig`):
    lags, windows, fourier_terms when set."""
    try:
        return FeatureConfig.parse(feature_config).series_params()
    except FeatureConfigError as exc:
        raise ForecastError(f"Invalid feature_config: {exc.errors}.") from None
