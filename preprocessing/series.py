"""Time-series preparation: timestamp parsing, frequency inference, regularisation, gap filling,
outlier treatment against trend and season, and invertible target transforms (log, Box-Cox,
differencing).

Django-free; everything works on pandas objects so it tests in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from scipy import stats

from datasets.frequency import default_season_length, infer_frequency
from datasets.timeseries import MIN_GRID_COVERAGE

# Approximate length in days of the calendar (non-fixed) frequencies, keyed by offset prefix.
_CALENDAR_DAYS = {"Y": 365.2425, "A": 365.2425, "Q": 91.310625, "M": 30.436875, "W": 7.0}


class SeriesError(ValueError):
    """A time column or series that cannot be used as given (one clear sentence)."""


# --------------------------------------------------------------------------- timestamps


def parse_timestamps(values: Any) -> tuple[pd.DatetimeIndex, str | None]:
    """Parse a column of dates to a tz-naive UTC DatetimeIndex, returning the original time zone.

    Accepts datetimes, ISO and other usual date strings, tz-aware values (converted to UTC) and
    integer years. Raises SeriesError when the values are not dates.
    """
    ser = pd.Series(values)
    if isinstance(ser.dtype, pd.DatetimeTZDtype):
        tz = str(ser.dt.tz)
        return pd.DatetimeIndex(ser.dt.tz_convert("UTC").dt.tz_localize(None)), tz
    if pd.api.types.is_datetime64_dtype(ser.dtype):
        return pd.DatetimeIndex(ser), None
    if pd.api.types.is_integer_dtype(ser.dtype) or pd.api.types.is_float_dtype(ser.dtype):
        nums = ser.dropna()
        if len(nums) and (nums % 1 == 0).all() and nums.between(1000, 3000).all():
            return pd.DatetimeIndex(
                pd.to_datetime(ser.astype("Int64").astype(str) + "-01-01")
            ), None
        raise SeriesError("The time column holds numbers, not dates.")
    text = ser.astype("string").str.strip()
    try:
        parsed = pd.to_datetime(text, format="mixed")
    except (ValueError, TypeError):
        try:
            parsed = pd.to_datetime(text, format="mixed", utc=True)
        except (ValueError, TypeError) as exc:
            raise SeriesError("The time column could not be parsed as dates.") from exc
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        tz = str(parsed.dt.tz)
        return pd.DatetimeIndex(parsed.dt.tz_convert("UTC").dt.tz_localize(None)), tz
    if not pd.api.types.is_datetime64_dtype(parsed.dtype):
        # Mixed offsets come back as objects: normalise through UTC.
        parsed = pd.to_datetime(text, format="mixed", utc=True)
        return pd.DatetimeIndex(parsed.dt.tz_localize(None)), "UTC"
    return pd.DatetimeIndex(parsed), None


def freq_step_days(freq: str) -> float:
    """Approximate length of one step of `freq` in days (exact for fixed frequencies)."""
    off = to_offset(freq)
    try:
        return off.nanos / 86_400e9
    except ValueError:
        base = off.name.lstrip("B")[:1]
        return _CALENDAR_DAYS.get(base, 1.0) * off.n


def future_index(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The `horizon` timestamps that follow `last` at frequency `freq`."""
    return pd.date_range(start=last, periods=horizon + 1, freq=freq)[1:]


# --------------------------------------------------------------------------- regularise


IRREGULAR = "The time column has no regular frequency that could be inferred."


def _stamps_frequency(work: pd.DataFrame, time_column: str, id_column: str | None) -> str:
    """The frequency of parsed timestamps (every series' spacing counts); SeriesError if none."""
    if id_column:
        groups = work.groupby(id_column, sort=False)[time_column]
        freq = infer_frequency([part for _, part in groups])
    else:
        freq = infer_frequency(work[time_column])
    if freq is None:
        raise SeriesError(IRREGULAR)
    return freq


def series_frequency(df: pd.DataFrame, time_column: str, id_column: str | None = None) -> str:
    """The frequency `regularize` would put these series on, found the same way without building
    the grid; raises SeriesError when the time column is missing, not dates, or irregular."""
    if time_column not in df.columns:
        raise SeriesError(f"The time column {time_column!r} is not in the data.")
    stamps, _ = parse_timestamps(df[time_column])
    work = pd.DataFrame({time_column: stamps})
    if id_column:
        work[id_column] = df[id_column].to_numpy()
    return _stamps_frequency(work[work[time_column].notna()], time_column, id_column)


def regularize(
    df: pd.DataFrame,
    time_column: str,
    freq: str | None = None,
    id_column: str | None = None,
    target: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Put each series on a regular grid of `freq`, averaging duplicate timestamps.

    Returns the regular frame (time column as tz-naive UTC timestamps, missing steps as NaN rows)
    and a report: frequency, timezone, n_duplicates, n_gaps, missing_timestamps (first 20).
    """
    if time_column not in df.columns:
        raise SeriesError(f"The time column {time_column!r} is not in the data.")
    stamps, tz = parse_timestamps(df[time_column])
    work = df.copy()
    work[time_column] = stamps
    work = work[work[time_column].notna()]
    value_cols = (
        [target] if target else [c for c in work.columns if c not in (time_column, id_column)]
    )
    value_cols = [c for c in value_cols if pd.api.types.is_numeric_dtype(work[c])]
    if freq is None:
        freq = _stamps_frequency(work, time_column, id_column)
    groups = work.groupby(id_column, sort=False) if id_column else [(None, work)]
    parts, n_dup, n_gap = [], 0, 0
    missing: list[Any] = []
    for key, part in groups:
        reg, dup, gaps = _regularize_one(part, time_column, value_cols, freq)
        n_dup += dup
        n_gap += len(gaps)
        missing.extend(ts.isoformat() for ts in gaps[: max(0, 20 - len(missing))])
        if id_column:
            reg.insert(1, id_column, key)
        parts.append(reg)
    frame = pd.concat(parts, ignore_index=True)
    report = {
        "frequency": freq,
        "timezone": tz,
        "n_duplicates": int(n_dup),
        "n_gaps": int(n_gap),
        "n_missing_values": int(frame[value_cols].isna().any(axis=1).sum()) if value_cols else 0,
        "missing_timestamps": missing,
    }
    return frame, report


class SparseSeriesError(SeriesError):
    """A series whose grid is mostly missing steps: filling them would invent most of it."""


def grid_covered(n_steps: int, n_gaps: int) -> bool:
    """Whether `n_steps` grid steps with `n_gaps` of them empty hold enough values to forecast
    from (the upload profile's `MIN_GRID_COVERAGE`)."""
    return n_steps <= 0 or (n_steps - n_gaps) / n_steps >= MIN_GRID_COVERAGE


def check_grid_coverage(n_steps: int, n_gaps: int, freq: str) -> None:
    """Refuse (`SparseSeriesError`) series whose `n_steps` grid steps at `freq` (between each
    series' first and last value) have `n_gaps` without a value, when that is more than the
    upload profile allows (`MIN_GRID_COVERAGE`): filling them would make up most of the history
    the models learn from."""
    if grid_covered(n_steps, n_gaps):
        return
    coarser = coarser_frequency(freq)
    advice = (
        f"aggregate the data to a coarser frequency (for example {coarser}) or upload"
        if coarser
        else "upload"
    )
    raise SparseSeriesError(
        f"{n_gaps} of the {n_steps} steps at frequency {freq} between the first and last "
        f"timestamp have no value ({100 * n_gaps / n_steps:.0f}%), so a forecast would learn "
        f"from mostly invented values (at most {100 * (1 - MIN_GRID_COVERAGE):.0f}% may be "
        f"missing); {advice} a series with a value at each step."
    )


# The usual next coarser frequency below each step length, in days.
_COARSER = ((1 / 24, "hourly"), (1, "daily"), (7, "weekly"), (28, "monthly"), (89, "quarterly"))


def coarser_frequency(freq: str) -> str | None:
    """The word for the usual frequency one step coarser than `freq` ("h" -> "daily", "D" ->
    "weekly", "MS" -> "quarterly", "QE" -> "yearly"); None above a year or for no frequency."""
    try:
        stamps = pd.date_range("2001-01-01", periods=5, freq=to_offset(freq))
    except (ValueError, TypeError):
        return None
    days = (stamps[-1] - stamps[0]) / pd.Timedelta(days=1) / 4  # the mean step
    for limit, word in _COARSER:
        if days < limit:
            return word
    return "yearly" if days < 365 else None


def _regularize_one(
    part: pd.DataFrame, time_column: str, value_cols: list[str], freq: str
) -> tuple[pd.DataFrame, int, list[pd.Timestamp]]:
    """One series onto the grid: (frame, duplicate count, missing grid timestamps)."""
    off = to_offset(freq)
    part = part.sort_values(time_column)
    start, end = part[time_column].iloc[0], part[time_column].iloc[-1]
    grid = pd.date_range(off.rollback(start), off.rollforward(end), freq=off)
    if len(grid) == 0:
        grid = pd.DatetimeIndex([start])
    # Snap each observation to its nearest grid point (handles odd times within a step).
    snapped = pd.merge_asof(
        part[[time_column, *value_cols]],
        pd.DataFrame({"_grid": grid}),
        left_on=time_column,
        right_on="_grid",
        direction="nearest",
    )
    dup = int(snapped["_grid"].duplicated().sum())
    agg = snapped.groupby("_grid")[value_cols].mean()
    reg = agg.reindex(grid)
    observed = set(agg.index)
    gaps = [ts for ts in grid if ts not in observed]
    reg.index.name = time_column
    return reg.reset_index(), dup, gaps


# --------------------------------------------------------------------------- seasons
# A frequency's conventional season length shapes the outlier baseline here and the seasonal
# models and features later (features.series and modeling re-use these).


# --------------------------------------------------------------------------- gaps and outliers


def fill_gaps(y: pd.Series, method: str = "interpolate") -> pd.Series:
    """Fill missing values: 'interpolate' (linear in time) or 'forward_fill'; edges take the
    nearest observed value."""
    if method in ("interpolate", "linear"):
        out = y.interpolate(method="linear", limit_direction="both")
    elif method in ("forward_fill", "ffill"):
        out = y.ffill().bfill()
    else:
        raise SeriesError(f"Unknown gap filling method {method!r}.")
    return out


SERIES_MIN_VALUES = 8  # fewer observed values tell too little about a pattern to judge one
LEVEL_WINDOW = (7, 25)  # the local fit of the level: at least 7 neighbours, at most 25
PATTERN_MIN_SEASONS = 2  # a seasonal pattern needs each position seen in another season
PATTERN_ROBUST_SEASONS = 4  # from 3 other seasons on, their median outvotes one spike among them
_LEVEL_DEGREE = 2  # local quadratic: follows a wave the pattern could not take out
_ROBUST_PASSES = 2  # bisquare reweightings of the level fit, so a spike leaves its neighbours be
_TINY = 1e-9  # relative to the series' size: an error this small is rounding, not noise

# Why leave-one-out: a smoother that may use a point to predict that point passes through it
# (a running median of a steadily rising stretch is the point itself), its residuals collapse
# to zero and the robust spread with them, and then ordinary noise reads as outliers: on 30
# noisy monthly values half of them were flagged. Every expected value below is made from
# the other points only, so each residual is an honest prediction error.


def _continue_edges(full: np.ndarray, half: int) -> np.ndarray:
    """Continue a smoothed line into the steps at either end where its window was cut short,
    along the slope of the nearest full windows; steps between gaps are interpolated."""
    valid = np.flatnonzero(~np.isnan(full))
    out = full.copy()
    if len(valid) == 0:
        return out
    if len(valid) == 1:
        return np.full(len(out), out[valid[0]])
    first, last = int(valid[0]), int(valid[-1])
    k = max(1, min(half, (last - first) // 2))
    steps = np.arange(len(out))
    out[:first] = out[first] + (out[first + k] - out[first]) / k * (steps[:first] - first)
    out[last + 1 :] = out[last] + (out[last] - out[last - k]) / k * (steps[last + 1 :] - last)
    return pd.Series(out).interpolate(limit_area="inside").to_numpy()


def _season_trend(values: np.ndarray, season: int) -> np.ndarray:
    """The trend under a seasonal series: a centred moving average over one season (2 x m for
    an even m), which cancels a fixed seasonal pattern whatever the slope (a running median
    does not: under a steep trend it returns the values themselves)."""
    if season % 2:
        kernel = np.ones(season) / season
    else:
        kernel = np.r_[0.5, np.ones(season - 1), 0.5] / season
    half = len(kernel) // 2
    full = np.full(len(values), np.nan)
    if len(values) >= len(kernel):
        windows = np.lib.stride_tricks.sliding_window_view(values, len(kernel))
        full[half : len(values) - half] = windows @ kernel  # NaN where a window has a gap
    return _continue_edges(full, half)


def _median_of_others(group: np.ndarray) -> np.ndarray:
    """For each value of `group` (no NaN, at least two values) the median of the others."""
    k = len(group)
    order = np.argsort(group, kind="stable")
    ranked = group[order]
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)

    def other(j: int) -> np.ndarray:  # the j-th smallest of the others, for every value
        return ranked[np.where(j < rank, j, j + 1)]

    m = k - 1  # how many others
    medians = other(m // 2) if m % 2 else (other(m // 2 - 1) + other(m // 2)) / 2
    return np.asarray(medians, dtype=float)


def _seasonal_pattern(values: np.ndarray, season: int) -> np.ndarray:
    """What each step's position in the season adds to the trend, judged from the other
    seasons at that position (the median of their deviations from the trend), centred on 0."""
    deviation = values - _season_trend(values, season)
    position = np.arange(len(values)) % season
    pattern = np.full(len(values), np.nan)
    for p in range(season):
        at = np.flatnonzero((position == p) & ~np.isnan(deviation))
        if len(at) >= 2:
            pattern[at] = _median_of_others(deviation[at])
    if np.isnan(pattern).all():
        return np.zeros(len(values))
    return np.nan_to_num(pattern - np.nanmedian(pattern))


def _neighbour_windows(n: int, width: int) -> np.ndarray:
    """For each step the indices of its `width` nearest steps other than itself: a centred
    window, shifted inwards at the two ends."""
    steps = np.arange(n)
    start = np.clip(steps - width // 2, 0, n - width - 1)
    idx = start[:, None] + np.arange(width)[None, :]
    return idx + (idx >= steps[:, None])


def _robust_scale(errors: np.ndarray, tiny: float) -> float:
    """The median of absolute errors, or, when over half of them are below `tiny` (rounding
    on a series that is exactly linear in places), their mean scaled to match."""
    median = float(np.nanmedian(errors))
    return median if median > tiny else 1.2533 / 1.4826 * float(np.nanmean(errors))


def _loo_level(values: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each step's level predicted from its neighbours alone (a robust local quadratic fit
    that leaves the step out), and the variance of that prediction in units of the noise
    variance (large where the fit reaches past the end of the series)."""
    n = len(values)
    width = min(width, n - 1)
    tiny = _TINY * (1.0 + float(np.nanmedian(np.abs(values))))
    idx = _neighbour_windows(n, width)
    x = (idx - np.arange(n)[:, None]) / (width / 2)
    design = np.stack([x**p for p in range(_LEVEL_DEGREE + 1)], axis=2)
    y = values[idx]
    observed = ~np.isnan(y)
    y = np.where(observed, y, 0.0)
    robust = np.ones_like(y)
    predicted = np.full(n, np.nan)
    variance = np.full(n, np.nan)
    first = np.zeros(_LEVEL_DEGREE + 1)
    first[0] = 1.0
    for rnd in range(_ROBUST_PASSES + 1):
        w = np.where(observed, robust, 0.0)
        quadratic = (w > 0).sum(axis=1) > _LEVEL_DEGREE + 1
        gram = np.einsum("nw,nwi,nwj->nij", w, design, design)
        gram[~quadratic] = np.eye(_LEVEL_DEGREE + 1)
        coef = np.linalg.solve(gram, np.broadcast_to(first, (n, _LEVEL_DEGREE + 1))[..., None])
        weights = w * np.einsum("nwi,ni->nw", design, coef[..., 0])
        total = w.sum(axis=1)
        mean_weights = w / np.where(total > 0, total, 1.0)[:, None]  # too few neighbours
        weights = np.where(quadratic[:, None], weights, mean_weights)
        predicted = np.where(total > 0, (weights * y).sum(axis=1), np.nan)
        variance = (weights**2).sum(axis=1)
        if rnd == _ROBUST_PASSES:
            break
        scale = _robust_scale(np.abs(values - predicted), tiny)
        if not scale > tiny:
            break
        u = np.nan_to_num((values[idx] - predicted[idx]) / (6.0 * scale))
        robust = np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)
    return predicted, variance


def outlier_baseline(y: pd.Series, season: int = 1) -> tuple[pd.Series, pd.Series]:
    """What each step of a regular series is expected to be from its trend and seasonal
    pattern, made from the other steps only, and the robust spread (a normal sigma) of a step
    around it.

    The seasonal pattern (with `season` > 1 and `PATTERN_MIN_SEASONS` seasons' worth of
    values) is the median deviation from a one-season moving average at the same position in
    the other seasons; the level a robust local quadratic fit of the deseasonalised
    neighbours. The spread is 1.4826 times the median absolute prediction error (from the mean
    when over half of them are 0), widened where a prediction is less sure, as at the two
    ends; a spike does not widen its own bounds. Gaps stay gaps.
    """
    values = np.asarray(y, dtype="float64")
    n = len(values)
    observed = ~np.isnan(values)
    if not observed.any():
        return pd.Series(np.nan, index=y.index), pd.Series(np.nan, index=y.index)
    seasonal = np.zeros(n)
    if season > 1 and int(observed.sum()) >= PATTERN_MIN_SEASONS * season:
        seasonal = _seasonal_pattern(values, season)
    low, high = LEVEL_WINDOW
    level, variance = _loo_level(values - seasonal, max(low, min(high, (n // 4) | 1)))
    expected = seasonal + level
    expected = expected + float(np.nanmedian(values - expected))
    tiny = _TINY * (1.0 + float(np.nanmedian(np.abs(values))))
    spread = 1.4826 * _robust_scale(np.abs(values - expected) / np.sqrt(1.0 + variance), tiny)
    sigma = max(spread, tiny) * np.sqrt(1.0 + variance)
    return pd.Series(expected, index=y.index), pd.Series(sigma, index=y.index)


def _one_per_position(y: pd.Series, flagged: np.ndarray, season: int) -> np.ndarray:
    """Where a season position has fewer than `PATTERN_ROBUST_SEASONS` values, a spike moves
    the seasonal expectation of the others at that position (their twins), which then look as
    far off as the spike. Of the points flagged at such a position keep only the one that is
    also furthest from its neighbours in time (the level alone): that one is the spike."""
    position = np.arange(len(y)) % season
    observed = y.notna().to_numpy()
    out = flagged.copy()
    level_z: np.ndarray | None = None
    for p in np.unique(position[flagged]):
        at = np.flatnonzero((position == p) & observed)
        hits = at[flagged[at]]
        if len(at) >= PATTERN_ROBUST_SEASONS or len(hits) < 2:
            continue
        if level_z is None:
            expected, spread = outlier_baseline(y, 1)
            level_z = ((y - expected).abs() / spread).fillna(0.0).to_numpy()
        out[hits] = False
        out[hits[np.argmax(level_z[hits])]] = True
    return out


def detect_outliers(y: pd.Series, season: int = 1, threshold: float = 4.0) -> pd.Series:
    """Boolean mask of the points of a regular series far from its trend and seasonal pattern:
    |y - expected| > threshold * spread (`outlier_baseline`, which never lets a point vouch
    for itself). Seasonal peaks and troughs are expected, not outliers; the noise of a clean
    series is not one either, however short. On a series of few seasons a spike is told from
    its twins in the other seasons by its neighbours. Gaps and series with fewer than
    `SERIES_MIN_VALUES` values are never flagged. The one series rule: the dataset page, the
    quality report and the forecaster's outlier treatment all ask it."""
    if int(y.notna().sum()) < SERIES_MIN_VALUES:
        return pd.Series(False, index=y.index)
    expected, spread = outlier_baseline(y, season)
    flagged = ((y - expected).abs() > threshold * spread).fillna(False).to_numpy(dtype=bool)
    if season > 1 and int(y.notna().sum()) >= PATTERN_MIN_SEASONS * season and flagged.any():
        flagged = _one_per_position(y, flagged, season)
    return pd.Series(flagged, index=y.index)


def observed_steps(
    frame: pd.DataFrame, regular: pd.DataFrame, time_column: str, id_column: str | None
) -> pd.Series:
    """Per row of the regular grid, whether the file has a row at that step (a step without
    one is a gap: a missing timestamp; a row whose value is empty or no number is not)."""
    stamps, _tz = parse_timestamps(frame[time_column])
    seen = pd.DataFrame({time_column: stamps.to_numpy()})
    keys = [time_column]
    if id_column:
        seen[id_column] = frame[id_column].to_numpy()
        keys.append(id_column)
    seen = seen.dropna(subset=[time_column]).drop_duplicates()
    present = regular[keys].merge(seen.assign(_seen=1), on=keys, how="left")["_seen"].notna()
    return pd.Series(present.to_numpy(), index=regular.index)


def outlier_count(y: pd.Series, freq: str) -> tuple[int, int]:
    """`(flagged, judged)` of one series on its regular grid, as the quality score counts its
    outliers: how many points `detect_outliers` flags (with the frequency's season), of how many
    values. The dataset page's report and the wizard's preview count alike."""
    values = y.astype(float).reset_index(drop=True)
    flagged = detect_outliers(values, season=default_season_length(freq))
    return int(flagged.sum()), int(values.notna().sum())


def treat_outliers(
    y: pd.Series, mask: pd.Series, method: str = "cap", season: int = 1, threshold: float = 4.0
) -> pd.Series:
    """Replace flagged points: 'cap' clips them to the band around what the trend and season
    expect there, 'interpolate' redraws them from their neighbours."""
    if not mask.any():
        return y.copy()
    if method == "interpolate":
        return fill_gaps(y.mask(mask), "interpolate")
    if method == "cap":
        expected, spread = outlier_baseline(y, season)
        band = threshold * spread
        capped = y.clip(lower=expected - band, upper=expected + band)
        return y.where(~mask, capped)
    raise SeriesError(f"Unknown outlier treatment {method!r}.")


def prepare_series(
    y: pd.Series,
    freq: str | None,
    *,
    fill_method: str = "interpolate",
    outlier_treatment: str | None = None,
    outlier_threshold: float = 4.0,
) -> tuple[pd.Series, pd.Series]:
    """A regular series' gaps filled and its outliers treated, as the forecaster prepares its
    training history; returns the prepared series and the mask of the points treated.

    The forecaster (`modeling.forecasters.PreparedForecaster`) and the preprocessing preview
    both call this, so the preview shows what the model learns from.
    """
    y = fill_gaps(y, fill_method)
    mask = pd.Series(False, index=y.index)
    if outlier_treatment and outlier_treatment != "none":
        season = default_season_length(freq)
        mask = detect_outliers(y, season=season, threshold=outlier_threshold)
        y = treat_outliers(y, mask, outlier_treatment, season, outlier_threshold)
    return y, mask


# --------------------------------------------------------------------------- transforms


@dataclass
class SeriesTransform:
    """Base of invertible target transforms: fit on the training part, then transform/inverse."""

    def fit(self, y: np.ndarray) -> SeriesTransform:
        """Learn the transform's state from the training values; returns self."""
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Training values -> model space."""
        return np.asarray(y, dtype=float)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Forecasts in model space -> original scale."""
        return np.asarray(values, dtype=float)

    def inverse_interval(
        self, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval bounds in model space -> original scale (monotone transforms map bounds)."""
        lo, hi = self.inverse(lower), self.inverse(upper)
        return np.minimum(lo, hi), np.maximum(lo, hi)


@dataclass
class LogTransform(SeriesTransform):
    """log(y + shift); the shift (learned) makes the training minimum at least 1 when y <= 0."""

    shift_: float = field(default=0.0, init=False)

    def fit(self, y: np.ndarray) -> LogTransform:
        """Learn the shift from the training minimum."""
        low = float(np.nanmin(y))
        self.shift_ = 0.0 if low > 0 else 1.0 - low
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """log of the shifted values (clipped away from zero)."""
        return np.log(np.clip(np.asarray(y, dtype=float) + self.shift_, 1e-12, None))

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """exp, minus the shift."""
        return np.exp(np.clip(np.asarray(values, dtype=float), -700, 700)) - self.shift_


@dataclass
class BoxCoxTransform(SeriesTransform):
    """Box-Cox with lambda fitted (maximum likelihood) on the training part only."""

    lmbda: float | None = None
    lambda_: float = field(default=1.0, init=False)
    shift_: float = field(default=0.0, init=False)

    def fit(self, y: np.ndarray) -> BoxCoxTransform:
        """Fit lambda on the (shifted-positive) training values."""
        arr = np.asarray(y, dtype=float)
        arr = arr[np.isfinite(arr)]
        low = float(arr.min())
        self.shift_ = 0.0 if low > 0 else 1.0 - low
        if self.lmbda is not None:
            self.lambda_ = float(self.lmbda)
        elif arr.size and arr.min() == arr.max():
            raise SeriesError(
                f"Box-Cox cannot transform the series: its values are all {arr[0]:g}, and a "
                "constant series has no shape to fit. Remove the box_cox transformation."
            )
        else:
            _, lam = stats.boxcox(arr + self.shift_)
            self.lambda_ = float(np.clip(lam, -1.0, 2.0))
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Box-Cox of the shifted values."""
        arr = np.clip(np.asarray(y, dtype=float) + self.shift_, 1e-12, None)
        if abs(self.lambda_) < 1e-8:
            return np.log(arr)
        return (arr**self.lambda_ - 1.0) / self.lambda_

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Inverse Box-Cox (values outside the domain are clipped to its edge), minus the shift."""
        arr = np.asarray(values, dtype=float)
        if abs(self.lambda_) < 1e-8:
            return np.exp(np.clip(arr, -700, 700)) - self.shift_
        base = np.clip(self.lambda_ * arr + 1.0, 1e-12, None)
        return base ** (1.0 / self.lambda_) - self.shift_


@dataclass
class DifferenceTransform(SeriesTransform):
    """y_t - y_{t-lag}; the inverse rebuilds levels from the last `lag` training values.

    Interval bounds: the step errors of the differenced forecast are treated as independent, so
    the half-widths add in quadrature along each lag chain.
    """

    lag: int = 1
    last_: np.ndarray = field(default_factory=lambda: np.array([]), init=False)

    def fit(self, y: np.ndarray) -> DifferenceTransform:
        """Remember the last `lag` training values (needed to undo the difference)."""
        arr = np.asarray(y, dtype=float)
        if len(arr) <= self.lag:
            raise SeriesError("The series is too short to difference.")
        self.last_ = arr[-self.lag :].copy()
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Differences (the first `lag` values are dropped)."""
        arr = np.asarray(y, dtype=float)
        return arr[self.lag :] - arr[: -self.lag]

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Cumulate forecast differences onto the last training values."""
        diffs = np.asarray(values, dtype=float)
        out = np.empty(len(diffs))
        for i, d in enumerate(diffs):
            prev = self.last_[i] if i < self.lag else out[i - self.lag]
            out[i] = prev + d
        return out

    def inverse_interval(
        self, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bounds around the rebuilt levels, half-widths summed in quadrature along the chain."""
        level = self.inverse(mean)
        down = np.asarray(mean, dtype=float) - np.asarray(lower, dtype=float)
        up = np.asarray(upper, dtype=float) - np.asarray(mean, dtype=float)
        acc_down, acc_up = np.zeros(len(level)), np.zeros(len(level))
        for i in range(len(level)):
            prev_d = acc_down[i - self.lag] if i >= self.lag else 0.0
            prev_u = acc_up[i - self.lag] if i >= self.lag else 0.0
            acc_down[i] = prev_d + max(down[i], 0.0) ** 2
            acc_up[i] = prev_u + max(up[i], 0.0) ** 2
        return level - np.sqrt(acc_down), level + np.sqrt(acc_up)


TRANSFORMS = {"log": LogTransform, "box_cox": BoxCoxTransform, "difference": DifferenceTransform}


def make_transform(name: str, **params: Any) -> SeriesTransform:
    """An unfitted transform by name: 'log', 'box_cox' or 'difference' (params: lmbda, lag)."""
    try:
        return TRANSFORMS[name](**params)
    except KeyError as exc:
        raise SeriesError(f"Unknown series transform {name!r}.") from exc


class TransformChain:
    """Several transforms applied in order and undone in reverse order."""

    def __init__(self, transforms: list[SeriesTransform]):
        self.transforms = transforms

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        """Fit each transform on the output of the previous one; returns model-space values."""
        out = np.asarray(y, dtype=float)
        for tr in self.transforms:
            out = tr.fit(out).transform(out)
        return out

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Model-space forecasts -> original scale."""
        out = np.asarray(values, dtype=float)
        for tr in reversed(self.transforms):
            out = tr.inverse(out)
        return out

    def inverse_interval(
        self, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Model-space interval -> original scale (mean undone alongside the bounds)."""
        mean, lower, upper = (np.asarray(a, dtype=float) for a in (mean, lower, upper))
        for tr in reversed(self.transforms):
            lower, upper = tr.inverse_interval(mean, lower, upper)
            mean = tr.inverse(mean)
        return lower, upper
