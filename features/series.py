"""Time-series features built strictly from the past: lags, rolling windows, calendar and Fourier
terms, plus season detection (which cycles the data really has, given its frequency).

Django-free; pandas/numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from sklearn.base import BaseEstimator, TransformerMixin

from datasets.frequency import candidate_seasons, default_season_length, infer_frequency
from datasets.frequency import freq_parts as _freq_parts

# --------------------------------------------------------------------------- seasons


def _moving_average(x: np.ndarray, period: int) -> np.ndarray:
    """Centred moving average of length `period` (2 x period for even periods); NaN at edges."""
    mean = pd.Series(x).rolling(period, center=True).mean()
    if period % 2 == 0:
        mean = mean.rolling(2).mean().shift(-1)
    out: np.ndarray = mean.to_numpy()
    return out


def seasonal_strength(x: np.ndarray, period: int) -> float:
    """Strength (0..1) of a cycle of length `period`: 1 - Var(remainder) / Var(detrended),
    with the remainder variance corrected for the phase means it loses (so noise scores ~0)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if period < 2 or n < 2 * period:
        return 0.0
    if n >= 3 * period:
        detr = x - _moving_average(x, period)
    else:
        t = np.arange(n)
        detr = x - np.polyval(np.polyfit(t, x, 1), t)
    phase = np.arange(n) % period
    ok = np.isfinite(detr)
    detr, phase = detr[ok], phase[ok]
    counts = np.bincount(phase, minlength=period)
    if counts.min() < 2:
        return 0.0
    means = np.bincount(phase, weights=detr, minlength=period) / counts
    remainder = detr - means[phase]
    var_detr = float(np.var(detr))
    if var_detr <= 1e-12:
        return 0.0
    cycles = len(detr) / period
    var_rem = float(np.var(remainder)) * cycles / max(cycles - 1.0, 1e-9)
    return float(np.clip(1.0 - var_rem / var_detr, 0.0, 1.0))


def _remove_season(x: np.ndarray, period: int) -> np.ndarray:
    """Subtract the mean seasonal profile of `period` (after removing the trend)."""
    n = len(x)
    trend = _moving_average(x, period) if n >= 3 * period else np.full(n, np.nanmean(x))
    detr = x - trend
    phase = np.arange(n) % period
    ok = np.isfinite(detr)
    counts = np.bincount(phase[ok], minlength=period).clip(min=1)
    means = np.bincount(phase[ok], weights=detr[ok], minlength=period) / counts
    return x - (means - means.mean())[phase]


def detect_seasonalities(
    y: pd.Series | np.ndarray,
    freq: str | None,
    max_seasons: int = 3,
    threshold: float = 0.3,
) -> list[int]:
    """Every strong season among the frequency's candidates, shortest first.

    A candidate counts when its seasonal strength, measured after removing the shorter seasons
    already found, exceeds `threshold`; seasons longer than half the series are never returned.
    """
    x = pd.Series(np.asarray(y, dtype=float)).interpolate(limit_direction="both").to_numpy()
    if len(x) < 4 or not np.isfinite(x).all():
        return []
    found: list[int] = []
    work = x.copy()
    for period in candidate_seasons(freq):
        if len(found) >= max_seasons or 2 * period > len(x):
            break
        if found and period % found[-1] != 0 and period < 2 * found[-1]:
            continue
        if seasonal_strength(work, period) > threshold:
            found.append(period)
            work = _remove_season(work, period)
    return found


# --------------------------------------------------------------------------- feature blocks


def make_lag_features(y: pd.Series, lags: list[int]) -> pd.DataFrame:
    """`lag_k` = the value k steps before each row (NaN where the past is unknown)."""
    return pd.DataFrame({f"lag_{k}": y.shift(k) for k in lags}, index=y.index)


def make_rolling_features(
    y: pd.Series, windows: list[int], stats: tuple[str, ...] = ("mean", "std", "min", "max")
) -> pd.DataFrame:
    """Rolling statistics over the `w` values strictly before each row (`roll_<stat>_<w>`)."""
    past = y.shift(1)
    cols: dict[str, pd.Series] = {}
    for w in windows:
        roll = past.rolling(w, min_periods=max(1, w // 2))
        for stat in stats:
            if stat == "std" and w < 2:
                continue
            cols[f"roll_{stat}_{w}"] = getattr(roll, stat)()
    return pd.DataFrame(cols, index=y.index)


def make_calendar_features(index: pd.DatetimeIndex, freq: str | None) -> pd.DataFrame:
    """Calendar columns that vary at this frequency (hour, day of week, month, quarter...)."""
    kind, seconds = _freq_parts(freq)
    cols: dict[str, Any] = {}
    if kind == "fixed" and seconds and seconds < 86_400:
        cols["hour"] = index.hour + index.minute / 60.0
        cols["dayofweek"] = index.dayofweek
    elif kind in ("fixed", "business_day"):
        cols["dayofweek"] = index.dayofweek
        cols["dayofmonth"] = index.day
        cols["month"] = index.month
    elif kind == "week":
        cols["weekofyear"] = index.isocalendar().week.to_numpy().astype(int)
    elif kind == "month":
        cols["month"] = index.month
    elif kind == "quarter":
        cols["quarter"] = index.quarter
    return pd.DataFrame(cols, index=index).astype(float)


def make_fourier_features(positions: np.ndarray, periods: list[int], terms: int) -> pd.DataFrame:
    """sin/cos pairs `fourier_<p>_<k>` of each period at integer time positions."""
    t = np.asarray(positions, dtype=float)
    cols: dict[str, np.ndarray] = {}
    for p in periods:
        for k in range(1, min(terms, p // 2) + 1):
            angle = 2.0 * np.pi * k * t / p
            cols[f"fourier_{p}_sin{k}"] = np.sin(angle)
            cols[f"fourier_{p}_cos{k}"] = np.cos(angle)
    return pd.DataFrame(cols)


def default_lags(freq: str | None, seasons: list[int], n_obs: int) -> list[int]:
    """Short lags up to the main season (at most 24), plus each season and twice it when the
    history allows (at least three times the lag)."""
    main = seasons[0] if seasons else default_season_length(freq)
    short = min(max(main, 3) if main > 1 else 5, 24)
    lags = set(range(1, short + 1))
    for p in seasons:
        for mult in (1, 2):
            if p * mult * 3 <= n_obs:
                lags.add(p * mult)
    return sorted(k for k in lags if 3 * k <= n_obs) or [1]


def lookback_limit(n_obs: int) -> int:
    """The longest lag or rolling window a training series of `n_obs` points supports: half of
    it, so at least as many rows have every feature as the features reach back."""
    return max(1, n_obs // 2)


def default_windows(seasons: list[int], n_obs: int) -> list[int]:
    """Rolling windows: a short one and each season that fits three times in the history."""
    wins = {3}
    for p in seasons:
        if 3 * p <= n_obs:
            wins.add(p)
    return sorted(wins)


def position_of(index: pd.DatetimeIndex, origin: pd.Timestamp, freq: str) -> np.ndarray:
    """Integer step counts of `index` from `origin` at `freq` (exact for fixed frequencies)."""
    kind, seconds = _freq_parts(freq)
    delta: np.ndarray = (index - origin).total_seconds().to_numpy()
    if kind == "fixed" and seconds:
        return np.round(delta / seconds).astype(np.int64)
    days = {"year": 365.2425, "quarter": 91.310625, "month": 30.436875, "week": 7.0}.get(kind, 1.0)
    return np.round(delta / 86_400.0 / (days * to_offset(freq).n)).astype(np.int64)


class SeriesFeaturizer(TransformerMixin, BaseEstimator):
    """Lag, rolling, calendar and Fourier features of a regular series, all from strictly earlier
    values. `fit` takes the training series and fixes the defaults (lags, windows, seasons);
    `transform(y)` returns one feature row per timestamp of `y` (NaN where history is short)."""

    def __init__(
        self,
        freq: str | None = None,
        lags: list[int] | None = None,
        windows: list[int] | None = None,
        seasons: list[int] | None = None,
        calendar: bool = True,
        fourier_terms: int = 3,
    ):
        self.freq = freq
        self.lags = lags
        self.windows = windows
        self.seasons = seasons
        self.calendar = calendar
        self.fourier_terms = fourier_terms

    def fit(self, y: pd.Series, X: Any = None) -> SeriesFeaturizer:
        """Fix frequency, seasons, lags, windows and the Fourier origin from the training series."""
        y = _as_series(y)
        self.freq_ = self.freq or infer_frequency(y.index) or "D"
        n = len(y)
        self.seasons_ = (
            list(self.seasons) if self.seasons is not None else detect_seasonalities(y, self.freq_)
        )
        self.lags_ = sorted(self.lags) if self.lags else default_lags(self.freq_, self.seasons_, n)
        self.windows_ = sorted(self.windows) if self.windows else default_windows(self.seasons_, n)
        self.origin_ = y.index[0]
        self.fourier_periods_ = [p for p in self.seasons_ if p > 1] if self.fourier_terms else []
        self.feature_names_ = list(self._build(y).columns)
        self.n_features_in_ = 1
        return self

    def _build(self, y: pd.Series) -> pd.DataFrame:
        """All feature blocks for the rows of `y`."""
        blocks = [make_lag_features(y, self.lags_), make_rolling_features(y, self.windows_)]
        if self.calendar:
            blocks.append(make_calendar_features(pd.DatetimeIndex(y.index), self.freq_))
        if self.fourier_periods_:
            pos = position_of(pd.DatetimeIndex(y.index), self.origin_, self.freq_)
            four = make_fourier_features(pos, self.fourier_periods_, self.fourier_terms)
            four.index = y.index
            blocks.append(four)
        return pd.concat(blocks, axis=1)

    def transform(self, y: pd.Series) -> pd.DataFrame:
        """Feature rows for each timestamp of `y`, built only from values before that row."""
        return self._build(_as_series(y))[self.feature_names_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the generated columns."""
        return np.asarray(self.feature_names_, dtype=object)

    @property
    def max_lookback_(self) -> int:
        """How many past values one feature row needs."""
        return max([*self.lags_, *self.windows_, 1])


def _as_series(y: Any) -> pd.Series:
    """A float Series with a DatetimeIndex (values only is accepted for tests with a RangeIndex)."""
    if isinstance(y, pd.DataFrame):
        y = y.iloc[:, 0]
    if not isinstance(y, pd.Series):
        y = pd.Series(np.asarray(y, dtype=float))
    return y.astype(float)
