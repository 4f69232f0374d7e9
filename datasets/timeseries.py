"""Time-series detection: the time column, the id column that splits several series, their
frequency (from `datasets.frequency`), gaps and repeated timestamps. Django-free.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from datasets.coercion import to_datetime
from datasets.frequency import infer_frequency
from datasets.jsonsafe import json_safe
from datasets.semantics import DATEISH, FIRST_YEAR, LAST_YEAR, is_integral, present_strings

_MAX_GRID_FACTOR = 20  # a grid this many times larger than the data means "not regular"
# Share of the grid steps between a series' first and last timestamp that must hold a value for
# it to count as a regular series; forecasting refuses to invent more than the rest.
MIN_GRID_COVERAGE = 0.5
# Observations the oldest backtest window trains on when a forecaster drops the season: a series
# needs at least the horizon plus these (more when it keeps two seasons).
MIN_TRAIN_POINTS = 8
# Seasons up to this many steps are kept only when two of them fit before the last backtest window.
MAX_KEPT_SEASON = 24
_YEAR_IN_TEXT = re.compile(r"(?<![\d.])(-?\d{4})(?![\d.])")


@dataclass(frozen=True)
class TimeReading:
    """How the values of a time column read as timestamps."""

    present: int  # values that are not missing
    read: int  # values read as timestamps
    out_of_range: int  # dates or years outside what a timestamp holds
    numbers: int  # unread values that are plain integers (counters, epoch seconds...)
    example: str | None  # an unread value (an out-of-range one when there is one)


def read_time_values(values: pd.Series, spec: dict[str, Any] | None) -> TimeReading:
    """Read `values` as the time column would be read (`to_datetime` with `spec`) and count
    what does not read: dates or years outside the timestamp range, plain numbers, the rest.

    Integers count as out-of-range years only when the column is mostly four-digit numbers
    (-6000..1979 is a column of years; 1..100 or epoch seconds are not).
    """
    text = present_strings(values)
    stamps = to_datetime(values, spec)
    unread = text[stamps[text.index].isna()]
    numbers = pd.to_numeric(text, errors="coerce")
    whole = numbers.notna() & (numbers == numbers.round())
    years_column = (
        bool(whole.any()) and float(numbers[whole].abs().between(1000, 9999).mean()) >= 0.5
    )
    unread_whole = whole[unread.index]
    if years_column:  # the years that did not read lie outside the timestamp range
        far = unread_whole & numbers[unread.index].abs().le(9999)
    else:
        far = pd.Series(False, index=unread.index)
    # A date written as text that did not read: out of range when its year is.
    years = pd.to_numeric(unread.str.extract(_YEAR_IN_TEXT)[0], errors="coerce")
    far |= ~unread_whole & years.notna() & ~years.between(FIRST_YEAR, LAST_YEAR)
    shown = unread[far] if far.any() else unread
    return TimeReading(
        present=len(text),
        read=len(text) - len(unread),
        out_of_range=int(far.sum()),
        numbers=int((unread_whole & ~far).sum()),
        example=str(shown.iloc[0]) if len(shown) else None,
    )


def dates_out_of_range(values: pd.Series, limit: int = 50) -> str | None:
    """A text value of `values` that reads as a date outside what pandas' nanosecond timestamps
    hold (1677-09-21 to 2262-04-11), or None. Looks at the first `limit` values only."""
    from dateutil import parser as date_parser

    low, high = dt.datetime(1677, 9, 22), dt.datetime(2262, 4, 11)  # inside ns Timestamp limits
    for value in present_strings(values).head(limit):
        if not DATEISH.search(value):
            continue
        try:
            parsed = date_parser.parse(value, default=dt.datetime(2000, 1, 1))
        except (ValueError, OverflowError):
            continue
        parsed = parsed.replace(tzinfo=None)
        if parsed < low or parsed > high:
            return value
    return None


def series_facts(stamps: pd.Series, groups: pd.Series | None) -> dict[str, Any]:
    """Duplicates, order, frequency, gaps and regularity of timestamps (per group)."""
    frame = pd.DataFrame({"t": stamps.to_numpy(), "g": 0 if groups is None else groups.to_numpy()})
    frame = frame[frame["t"].notna()]
    uniques: list[pd.DatetimeIndex] = []
    duplicates = 0
    ordered = pairs = 0
    for _, part in frame.groupby("g", sort=False, dropna=False):
        times = pd.DatetimeIndex(part["t"])
        duplicates += len(times) - times.nunique()
        if len(times) > 1:
            ns = times.asi8  # compared, never subtracted: a difference can overflow int64
            ordered += int((ns[1:] >= ns[:-1]).sum())
            pairs += len(times) - 1
        uniques.append(times.unique().sort_values())
    freq = infer_frequency(uniques)
    gaps = off_grid = expected = 0
    regular = freq is not None
    if regular:
        for times in uniques:
            # Spans in float nanoseconds: over 292 years do not fit a Timedelta (int64 ns).
            ns = times.asi8.astype("float64")
            steps = np.diff(ns)
            span = ns[-1] - ns[0] if len(ns) > 1 else 0.0
            approx = span / max(float(steps.min()), 1.0) if len(steps) else 0
            if approx > _MAX_GRID_FACTOR * len(times) + 100:
                regular = False
                break
            grid = pd.date_range(times[0], times[-1], freq=freq)
            on_grid = int(times.isin(grid).sum())
            off_grid += len(times) - on_grid
            gaps += len(grid) - on_grid
            expected += len(grid)
    total_unique = sum(len(u) for u in uniques)
    if regular and total_unique:
        covered = (expected - gaps) / max(expected, 1)
        regular = off_grid / total_unique <= 0.1 and covered >= MIN_GRID_COVERAGE
    return {
        "frequency": freq,
        "regular": regular,
        "gaps": int(gaps) if regular else 0,
        "duplicates": int(duplicates),
        "rows": len(frame),
        "sorted_share": ordered / pairs if pairs else 1.0,
        "num_series": len(uniques),
        "min_length": min((len(u) for u in uniques), default=0),
        "start": frame["t"].min() if len(frame) else None,
        "end": frame["t"].max() if len(frame) else None,
    }


def _id_candidates(
    df: pd.DataFrame, columns_info: list[dict[str, Any]], time_column: str
) -> list[str]:
    preferred, numeric = [], []
    for info in columns_info:
        name = info["name"]
        if name == time_column or name not in df.columns:
            continue
        if info.get("semantic_type") in ("categorical", "id"):
            preferred.append(name)
        elif info.get("semantic_type") == "numeric" and is_integral(
            pd.to_numeric(df[name], errors="coerce").dropna().astype("float64")
        ):
            numeric.append(name)
    return preferred + numeric


def _find_id_column(
    df: pd.DataFrame, stamps: pd.Series, columns_info: list[dict[str, Any]], time_column: str
) -> str | None:
    present = stamps.notna()
    rows = int(present.sum())
    if rows == 0 or stamps[present].nunique() / rows > 0.8:
        return None  # timestamps are already (mostly) unique: one series
    best, best_key = None, None
    for name in _id_candidates(df, columns_info, time_column):
        groups = df.loc[present, name]
        count = groups.nunique()
        if count < 2 or count > rows / 2 or groups.isna().mean() > 0.05:
            continue
        pairs = pd.DataFrame({"g": groups.to_numpy(), "t": stamps[present].to_numpy()})
        duplicate_share = 1 - len(pairs.drop_duplicates()) / rows
        if duplicate_share > 0.1:
            continue
        key = (duplicate_share, count)
        if best_key is None or key < best_key:
            best, best_key = name, key
    return best


def empty_series() -> dict[str, Any]:
    """The series facts of a table that is no time series."""
    return {
        "is_time_series": False,
        "time_column": None,
        "frequency": None,
        "id_column": None,
        "num_series": 0,
        "gaps": 0,
        "duplicates": 0,
        "start": None,
        "end": None,
    }


def detect_time_series(
    df: pd.DataFrame, columns_info: list[dict[str, Any]], *, time_column: str | None = None
) -> dict[str, Any]:
    """Whether the table is one or several regular time series, and their facts.

    Looks at datetime columns (or only `time_column` when given): the frequency alias, an id
    column that splits several series, missing timestamps (gaps) and repeated ones (duplicates).
    """
    info_by_name = {c["name"]: c for c in columns_info}
    if time_column is not None:
        candidates = [time_column] if time_column in df.columns else []
    else:
        candidates = [
            c["name"]
            for c in columns_info
            if c.get("semantic_type") == "datetime" and c["name"] in df.columns
        ]
    best: dict[str, Any] | None = None
    best_key: tuple[Any, ...] | None = None
    for name in candidates:
        info = info_by_name.get(name, {"name": name, "semantic_type": "datetime"})
        stamps = to_datetime(df[name], info.get("parse"))
        if stamps.notna().sum() < 3:
            continue
        id_column = _find_id_column(df, stamps, columns_info, name)
        facts = series_facts(stamps, df[id_column] if id_column else None)
        rows = max(facts["rows"], 1)
        is_series = (
            facts["regular"]
            and facts["duplicates"] / rows <= 0.1
            and facts["sorted_share"] >= 0.8
            and facts["min_length"] >= 3
        )
        key = (is_series, facts["regular"], -facts["gaps"], stamps.notna().sum())
        if best_key is None or key > best_key:
            best_key = key
            best = {
                "is_time_series": bool(is_series),
                "time_column": name,
                "frequency": facts["frequency"],
                "id_column": id_column,
                "num_series": facts["num_series"],
                "gaps": facts["gaps"],
                "duplicates": facts["duplicates"],
                "start": json_safe(facts["start"]),
                "end": json_safe(facts["end"]),
            }
    if best is None:
        result = empty_series()
        result["time_column"] = time_column if candidates else None
        return result
    if not best["is_time_series"] and time_column is None:
        # A date column that does not make a series: report no series, keep nothing forced.
        return {**empty_series(), "duplicates": 0}
    return best


def grid_steps(series_info: dict[str, Any]) -> int | None:
    """Timestamps on the series' grid from the table's first to its last one: the most
    observations any series of the table can have. None when the facts are missing."""
    info = series_info or {}
    start, end, freq = info.get("start"), info.get("end"), info.get("frequency")
    if not (start and end and freq):
        return None
    try:
        with warnings.catch_warnings():  # an unknown alias warns before it fails
            warnings.simplefilter("ignore", FutureWarning)
            return len(pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq))
    except (ValueError, TypeError, OverflowError):
        return None


def min_history(season: int, horizon: int) -> int:
    """Observations a series needs to be forecast `horizon` steps ahead keeping its season of
    `season` steps: the horizon (the last backtest window) plus two seasons (seasons of 2 to
    `MAX_KEPT_SEASON` steps) or `MIN_TRAIN_POINTS`, whichever is more."""
    two_seasons = 2 * season if 1 < season <= MAX_KEPT_SEASON else 0
    return horizon + max(MIN_TRAIN_POINTS, two_seasons)


def readable_ids(values: pd.Series) -> pd.Series:
    """An id column as its series are named: whole numbers that were read as floats (a numeric
    column) become integers, so store 1 is series 1, not 1.0; other values are kept as read."""
    if not pd.api.types.is_float_dtype(values):
        return values
    known = values.dropna().to_numpy(dtype="float64")
    if not len(known) or not np.isfinite(known).all() or (known != np.round(known)).any():
        return values
    if np.abs(known).max() >= 2**53:  # beyond exact floats: keep what was read
        return values
    return values.astype("Int64" if values.isna().any() else "int64")


def checked_horizon(longest: int, horizon: int) -> int:
    """How many steps ahead the backtests can check a forecast of `horizon` steps when the
    longest series holds `longest` observations: the horizon when it fits after
    `MIN_TRAIN_POINTS` training points, else what fits (steps beyond it are forecast but not
    checked); 0 when not even one step fits."""
    return max(0, min(horizon, longest - MIN_TRAIN_POINTS))


def steps_past_calendar(last: Any, freq: str, horizon: int) -> int | None:
    """None when the `horizon` steps of `freq` after `last` all fall on dates pandas can hold
    (up to 2262-04-11); otherwise how many of them do (10,000 months from 1960 do not)."""
    try:
        offset = to_offset(freq)
        start = pd.Timestamp(last)
    except (ValueError, TypeError):
        return 0
    if start.tzinfo is not None:  # a zoned end (a file written with offsets): its UTC time
        start = start.tz_convert("UTC").tz_localize(None)
    try:
        if start + horizon * offset <= pd.Timestamp.max:
            return None
    except (ValueError, OverflowError):  # past it at nanosecond resolution (OutOfBoundsDatetime)
        pass
    low, high = 0, horizon  # the most steps that fit: at least `low`, fewer than `high`
    while high - low > 1:
        mid = (low + high) // 2
        try:
            pd.date_range(start, periods=mid + 1, freq=offset)
            low = mid
        except (ValueError, OverflowError):
            high = mid
    return low


def past_calendar_sentence(horizon: int, freq: str, most: int) -> str:
    """The refusal of a horizon that `steps_past_calendar` found running past 2262."""
    return (
        f"A horizon of {horizon} steps at frequency {freq} runs past 2262-04-11, the last date "
        f"that can be forecast; choose a horizon of {most} or fewer."
    )
