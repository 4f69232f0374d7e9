"""Input phase: check a time-series frame and turn it into regular per-series histories, and read
the lag-feature options from the pipeline's features config (the series preparation options are
`preprocessing.builder.series_preparation`'s)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from features.config import FeatureConfig, FeatureConfigError
from features.series import detect_seasonalities
from preprocessing.series import SeriesError, default_season_length, fill_gaps, regularize
from training.forecasting.settings import ForecastError, ForecastSettings


@dataclass
class SeriesData:
    """One regular series to forecast: its id, values, detected seasons and MASE season."""

    key: Any
    y: pd.Series
    seasons: list[int]
    m: int  # MASE / seasonal-naive season


@dataclass
class PreparedInput:
    """The regularised series with their common frequency, time zone and regularisation report."""

    series: list[SeriesData]
    freq: str
    timezone: str | None
    report: dict[str, Any]


def min_length(m: int, horizon: int) -> int:
    """Observations needed: the horizon plus two seasons (seasons up to 24 steps) or 8 points."""
    return horizon + max(8, 2 * m if 1 < m <= 24 else 0)


def prepare(df: pd.DataFrame, settings: ForecastSettings) -> PreparedInput:
    """Check the frame against the settings and regularise it into per-series regular Series;
    raises `ForecastError` with one clear sentence when it cannot be forecast."""
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
    series = [_one_series(key, part, freq, settings) for key, part in groups]
    if all(s.y.nunique(dropna=True) <= 1 for s in series):
        raise ForecastError("The target is constant, so there is nothing to forecast.")
    return PreparedInput(series, freq, report.get("timezone"), report)


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
    if len(frame) < 2:
        raise ForecastError("The data has a single row; a forecast needs a history.")
    return frame


def _one_series(key: Any, part: pd.DataFrame, freq: str, settings: ForecastSettings) -> SeriesData:
    """One series trimmed to its first and last value, long enough for the horizon."""
    y = pd.Series(
        part[settings.target].to_numpy(float), index=pd.DatetimeIndex(part[settings.time_column])
    )
    y = y.loc[y.first_valid_index() : y.last_valid_index()]
    m = default_season_length(freq)
    horizon = settings.horizon
    need = min_length(m, horizon)
    label = f"Series {key!r}" if settings.id_column else "The series"
    if len(y) < need:
        raise ForecastError(
            f"{label} has {len(y)} observations at frequency {freq}; at least {need} are "
            f"needed for a horizon of {horizon} (two seasons of {m} plus the horizon)."
            if need - horizon > 8
            else f"{label} has {len(y)} observations; at least {need} are needed for a "
            f"horizon of {horizon}."
        )
    seasons = detect_seasonalities(fill_gaps(y), freq)
    return SeriesData(key, y, seasons, m if len(y) > m else 1)


def feature_params(feature_config: FeatureConfig | Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides for the lag regressors from a features config (parsed by `FeatureConfig`):
    lags, windows, fourier_terms when set."""
    try:
        return FeatureConfig.parse(feature_config).series_params()
    except FeatureConfigError as exc:
        raise ForecastError(f"Invalid feature_config: {exc.errors}.") from None
