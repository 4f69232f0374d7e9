"""The one frequency inference: the pandas offset alias at which timestamps are regularly spaced.

The dataset page (profiling), the regulariser the forecasters train on, the series feature
generators and the forecasters all ask this module, so they cannot disagree. Django-free.

Rules, in order:
- timestamps are read per series: missing ones dropped, time zones in UTC, sorted, repeats
  dropped; at least three distinct timestamps in all are needed;
- the step is the most common spacing over every series (gaps, i.e. missing steps, are fine);
- under a day, or not a whole number of days: ``h``, ``min``, ``s`` multiples (``90min``);
- one day: ``B`` (business days) when no timestamp falls on a weekend and some steps span a
  weekend, else ``D``; seven days: ``W-<weekday>`` (the most common weekday);
- a month, quarter or year: ``MS``/``ME``, ``QS``/``QE`` (``QS-FEB``... for shifted quarters),
  ``YS``/``YE`` (``YS-JUL``... for other year starts) when at least 80 % of the timestamps sit on
  that anchor; other whole days: ``<n>D``;
- when no rule names a frequency, pandas' own ``infer_freq`` of the longest series is asked (it
  knows rarer ones such as business month ends);
- whatever the alias, at least 90 % of the timestamps must sit on its grid; otherwise the
  timestamps are irregular and the answer is None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

__all__ = [
    "ON_GRID_SHARE",
    "candidate_seasons",
    "default_season_length",
    "freq_parts",
    "grid_fill",
    "infer_frequency",
    "normalise_alias",
]

ON_GRID_SHARE = 0.9  # timestamps on the alias' grid for the series to count as regular
_ANCHOR_SHARE = 0.8  # timestamps on a month/quarter/year anchor for a calendar alias

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY = pd.Timedelta(days=1)


def infer_frequency(stamps: Any) -> str | None:
    """The offset alias of regularly spaced timestamps, or None (see the module's rules).

    `stamps` is one series' timestamps (any array-like) or a list of such collections, one per
    series (then every series' spacing counts).
    """
    series = [s for s in (_clean(part) for part in _parts(stamps)) if len(s)]
    if sum(len(s) for s in series) < 3:
        return None
    steps = [_steps_ns(s) for s in series if len(s) > 1]
    if not steps:
        return None
    all_steps = np.concatenate(steps)
    if (all_steps <= 0).any():  # a step too long for int64 nanoseconds
        return None
    values, counts = np.unique(all_steps, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
    stamps_all = series[0].append(series[1:]) if len(series) > 1 else series[0]
    alias = _alias(step, stamps_all, all_steps)
    if alias is None:
        alias = _pandas_alias(max(series, key=len))
    if alias is None or _on_grid_share(series, alias) < ON_GRID_SHARE:
        return None
    return alias


def grid_fill(stamps: Any) -> float:
    """The share of the steps of one series' grid (its inferred frequency, from the first to
    the last timestamp) that hold a timestamp: 1.0 for a complete regular series, near 0 for
    a few dates spread over a long span, 0.0 when the timestamps have no frequency."""
    idx = _clean(stamps)
    alias = infer_frequency(idx)
    if alias is None or len(idx) < 2:
        return 0.0
    offset = to_offset(alias)
    span = float(idx.asi8[-1]) - float(idx.asi8[0])  # in float: may exceed int64 nanoseconds
    try:
        size = span / offset.nanos + 1
    except ValueError:  # calendar steps are a day or more: at most ~200,000 in 1678-2261
        size = len(pd.date_range(offset.rollback(idx[0]), idx[-1], freq=offset))
    return min(1.0, len(idx) / size) if size else 0.0


def normalise_alias(alias: str) -> str:
    """Canonical alias: 'H' -> 'h', '1D' -> 'D', 'QS-OCT' -> 'QS', 'YS-JAN' -> 'YS'."""
    out = to_offset(alias).freqstr
    head, _, month = out.partition("-")
    if head in ("QS", "BQS") and month in ("JAN", "APR", "JUL", "OCT"):
        return head
    if head in ("QE", "BQE") and month in ("MAR", "JUN", "SEP", "DEC"):
        return head
    if head in ("YS", "BYS") and month == "JAN":
        return head
    if head in ("YE", "BYE") and month == "DEC":
        return head
    return out


def _parts(stamps: Any) -> list[Any]:
    """One collection per series: a list or tuple of collections is several series."""
    collections = (pd.Index, pd.Series, np.ndarray, list, tuple)
    if (
        isinstance(stamps, (list, tuple))
        and stamps
        and all(isinstance(p, collections) for p in stamps)
    ):
        return list(stamps)
    return [stamps]


def _clean(values: Iterable[Any]) -> pd.DatetimeIndex:
    """Sorted distinct timestamps, tz-naive in UTC, missing ones dropped."""
    if isinstance(values, pd.DatetimeIndex):
        idx = pd.DatetimeIndex(values, freq=None)  # a set freq (BME...) bends is_month_end
    else:
        idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(values).dropna()))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    idx = idx[~idx.isna()]
    if not idx.is_monotonic_increasing or not idx.is_unique:
        idx = idx.unique().sort_values()
    return idx


def _steps_ns(stamps: pd.DatetimeIndex) -> np.ndarray:
    """Steps between sorted timestamps in int64 ns; -1 for a step over int64's ~292 years."""
    ns = stamps.asi8
    wide = np.diff(ns.astype("float64"))
    return np.where(wide > 9.0e18, -1, np.diff(ns))


def _alias(step: pd.Timedelta, stamps: pd.DatetimeIndex, steps: np.ndarray) -> str | None:
    if step < _DAY or step % _DAY != pd.Timedelta(0):
        return _tick_alias(step)
    days = int(step / _DAY)
    if days == 1:
        weekend = bool((stamps.dayofweek >= 5).any())
        spans_weekend = bool((steps == pd.Timedelta(days=3).value).any())
        return "B" if not weekend and spans_weekend else "D"
    if days == 7:
        weekday = int(pd.Series(stamps.dayofweek).mode().iloc[0])
        return f"W-{_WEEKDAYS[weekday]}"
    if 28 <= days <= 31 or 89 <= days <= 92 or 365 <= days <= 366:
        return _calendar_alias(stamps, days)
    return f"{days}D"


def _tick_alias(step: pd.Timedelta) -> str | None:
    seconds = step.total_seconds()
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "h" if hours == 1 else f"{hours}h"
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "min" if minutes == 1 else f"{minutes}min"
    if float(seconds).is_integer():
        return "s" if seconds == 1 else f"{int(seconds)}s"
    try:
        return normalise_alias(to_offset(step).freqstr)
    except ValueError:
        return None


def _calendar_alias(stamps: pd.DatetimeIndex, days: int) -> str | None:
    """Month, quarter or year alias when most timestamps sit on the same anchor."""
    if stamps.is_month_start.mean() >= _ANCHOR_SHARE:
        start = True
    elif stamps.is_month_end.mean() >= _ANCHOR_SHARE:
        start = False
    else:
        return None
    suffix = "S" if start else "E"
    if 28 <= days <= 31:
        return f"M{suffix}"
    months = pd.Series(stamps.month)
    if 89 <= days <= 92:
        residues = months % 3
        residue = int(residues.mode().iloc[0])
        if (residues == residue).mean() < _ANCHOR_SHARE:
            return None
        first = int(months[residues == residue].iloc[0])
        month = (first - 1) % 3 + 1 if start else 12 - (12 - first) % 3
        return normalise_alias(f"Q{suffix}-{_MONTHS[month - 1]}")
    month = int(months.mode().iloc[0])
    if (months == month).mean() < _ANCHOR_SHARE:
        return None
    return normalise_alias(f"Y{suffix}-{_MONTHS[month - 1]}")


def _pandas_alias(stamps: pd.DatetimeIndex) -> str | None:
    if len(stamps) < 3:
        return None
    try:
        exact = pd.infer_freq(stamps)
    except (TypeError, ValueError):
        return None
    return normalise_alias(exact) if exact else None


def _on_grid_share(series: list[pd.DatetimeIndex], alias: str) -> float:
    """Share of all timestamps that sit on the grid of `alias` (per series)."""
    offset = to_offset(alias)
    on = total = 0
    for stamps in series:
        total += len(stamps)
        if len(stamps) < 2:
            on += len(stamps)
            continue
        try:
            step = offset.nanos  # fixed steps: on the grid = same remainder as most timestamps
        except ValueError:
            grid = pd.date_range(stamps[0], stamps[-1], freq=offset)
            if len(grid) == 0 or not grid.isin(stamps).any():
                grid = pd.date_range(offset.rollback(stamps[0]), stamps[-1], freq=offset)
            on += int(stamps.isin(grid).sum())
            continue
        residues = stamps.asi8 % step
        values, counts = np.unique(residues, return_counts=True)
        on += int(counts.max())
    return on / total if total else 0.0


# --------------------------------------------------------------------------- seasons


def freq_parts(freq: str | None) -> tuple[str, float | None]:
    """(calendar kind, step length in seconds for fixed frequencies)."""
    if not freq:
        return "none", None
    off = to_offset(freq)
    try:
        return "fixed", off.nanos / 1e9
    except ValueError:
        name = off.name.lstrip("B")
        if name.startswith(("Y", "A")):
            return "year", None
        if name.startswith("Q"):
            return "quarter", None
        if name.startswith("M") or name.startswith("SM"):
            return "month", None
        if name.startswith("W"):
            return "week", None
        if off.name in ("B", "C"):
            return "business_day", None
        return "none", None


def candidate_seasons(freq: str | None) -> list[int]:
    """Season lengths worth checking for a frequency, shortest first (e.g. 'h' -> [24, 168])."""
    kind, seconds = freq_parts(freq)
    if kind == "quarter":
        return [4]
    if kind == "month":
        return [12]
    if kind == "week":
        return [52]
    if kind == "business_day":
        return [5]
    if kind != "fixed" or not seconds:
        return []
    day, week, year = 86_400, 7 * 86_400, 365.25 * 86_400
    out = []
    for span in (day, week, year):
        if seconds < span and span % seconds == 0 or (span == year and seconds == day):
            out.append(int(round(span / seconds)))
    return [p for p in out if 1 < p <= 20_000]


def default_season_length(freq: str | None) -> int:
    """The conventional season length of a frequency (M4 convention: monthly 12, hourly 24...)."""
    cands = candidate_seasons(freq)
    return cands[0] if cands else 1
