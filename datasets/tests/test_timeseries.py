"""Tests of the calendar limit on forecast horizons (`datasets.timeseries.steps_past_calendar`)."""

from __future__ import annotations

import pandas as pd
import pytest

from datasets.timeseries import checked_horizon, steps_past_calendar


def _future(last: pd.Timestamp, freq: str, steps: int) -> pd.DatetimeIndex:
    """The timestamps a forecast of `steps` after `last` is given (as the forecasters make them)."""
    return pd.date_range(start=last, periods=steps + 1, freq=freq)[1:]


def test_steps_past_the_calendar_are_counted_for_every_frequency():
    """pandas holds dates up to 2262-04-11: a horizon that fits answers None, one that does not
    gets the most steps that do, which can then be made and one more cannot."""
    last = pd.DatetimeIndex(["1960-12-01"])[-1]  # nanosecond resolution, like a parsed column
    assert steps_past_calendar(last, "MS", 100) is None
    assert steps_past_calendar(pd.Timestamp("2024-01-01"), "h", 10_000) is None
    for stamp, freq in [(last, "MS"), (last, "YS"), (last, "QS-OCT"), ("2262-04-01", "D")]:
        most = steps_past_calendar(stamp, freq, 10_000)
        assert most is not None and 0 < most < 10_000
        assert len(_future(pd.Timestamp(stamp), freq, most)) == most
        with pytest.raises(ValueError):
            _future(pd.Timestamp(stamp), freq, most + 1)


def test_the_checked_horizon_is_what_the_longest_history_holds_after_eight_points():
    assert checked_horizon(144, 18) == 18
    assert checked_horizon(22, 18) == 14
    assert checked_horizon(9, 18) == 1
    assert checked_horizon(8, 18) == 0


def test_a_zoned_last_timestamp_is_counted_on_its_utc_time():
    """A file written with offsets ends on a zoned time: comparing it with pandas' last naive
    date raised, and creating a forecasting pipeline on it answered 500."""
    assert steps_past_calendar("2024-01-17T15:00:00+00:00", "h", 24) is None
    assert steps_past_calendar(pd.Timestamp("2024-01-17T15:00:00+05:30"), "MS", 100) is None
    naive = steps_past_calendar(pd.Timestamp("1960-12-01 05:00"), "MS", 10_000)
    assert steps_past_calendar("1960-12-01T06:00:00+01:00", "MS", 10_000) == naive
