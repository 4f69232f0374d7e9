"""The request path's quick date reader (`read_dates_quickly`) reads every value it takes as the
training reader (`to_datetime`) does, and leaves it every value it is not sure of."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datasets.coercion import read_dates_quickly, read_timestamp, to_datetime

ISO = {"formats": ["ISO8601"], "utc": False}
DAY_FIRST = {"formats": ["%d/%m/%Y"], "utc": False}
MIXED_LIST = {"formats": ["%d.%m.%Y", "%d %b %Y", "%b %Y", "%d-%b-%y"], "utc": False}
TIMES = {"formats": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"], "utc": False}

CASES: list[tuple[dict | None, list]] = [
    (ISO, ["2024-03-05", "2024-03-05T10:30", "2024-03-05 10:30:15", "2024-03-05T10:30:15.25"]),
    (ISO, ["2024-02-29", None, " 2024-03-05 "]),
    (DAY_FIRST, ["05/03/2024", "5/3/2024", "31/12/1999", "2024-03-05"]),
    (MIXED_LIST, ["05.03.2024", "5 Mar 2024", "Mar 2024", "05-Mar-24", "05-Mar-71"]),
    (TIMES, ["2024-03-05 10:00:00", "2024-03-05", "2024-03-05T08:00"]),
]
# Values the quick reader must leave to pandas (it answers None for the whole request).
LEFT: list[tuple[dict | None, list]] = [
    (ISO, ["2024-03-05T10:00Z"]),  # zoned
    (ISO, ["2024-03-05T10:00:00+02:00"]),
    (ISO, ["20240305"]),  # ISO's basic form
    (ISO, ["2024-W10-2"]),  # a week date
    (ISO, ["2024Q1"]),  # a quarter
    (ISO, ["Q1 2024"]),
    (ISO, ["n/a"]),  # a missing-value word
    (ISO, [""]),
    (ISO, ["2024-02-30"]),  # no such day: NaT, as pandas says
    (DAY_FIRST, ["13/13/2024"]),
    (ISO, [20240305]),  # not text
    (ISO, [float("nan")]),
    ({"formats": ["ISO8601", "mixed"], "utc": False}, ["2024-03-05"]),
    ({"formats": ["ISO8601"], "utc": True}, ["2024-03-05"]),  # a zoned column
    (None, ["2024-03-05"]),  # no profile
]


def _training_reading(values: list, spec: dict | None) -> np.ndarray:
    return to_datetime(pd.Series(values, dtype=object), spec).to_numpy()


@pytest.mark.parametrize(("spec", "values"), CASES)
def test_quick_dates_equal_the_training_reader(spec, values):
    quick = read_dates_quickly(values, spec)
    assert quick is not None, values
    assert quick.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(quick, _training_reading(values, spec))


@pytest.mark.parametrize(("spec", "values"), LEFT)
def test_values_the_quick_reader_is_not_sure_of_go_to_the_training_reader(spec, values):
    assert read_dates_quickly(values, spec) is None


def test_one_unsure_value_sends_the_whole_request_to_the_training_reader():
    assert read_dates_quickly(["2024-03-05", "2024Q1"], ISO) is None


@pytest.mark.parametrize(("spec", "values"), CASES + LEFT)
def test_one_timestamp_reads_as_pandas_reads_it_in_utc(spec, values):
    """`read_timestamp` (live observations) takes the quick way where it can; its answers are
    those of the zone-converting training reader either way."""
    formats = list((spec or {}).get("formats") or [])
    for value in values:
        if not isinstance(value, str):
            continue
        slow = to_datetime(pd.Series([value], dtype=object), {"formats": formats, "utc": True})
        expected = None if pd.isna(slow.iloc[0]) else pd.Timestamp(slow.iloc[0]).tz_localize(None)
        assert read_timestamp(value, spec) == expected, value


ZONED = [
    "1961-01-01T00:00:00+00:00",
    "2024-01-31T09:30:00+01:00",
    "2024-01-31 09:30Z",
    "2024-01-31T09:30:00.123456789-05:30",
    "2024-01-31T09:30:00+0100",
    "2024-02-30T00:00:00Z",  # no such day
    "2300-01-01T00:00:00Z",  # past the nanosecond calendar
    "1600-01-01T00:00:00Z",
]


@pytest.mark.parametrize("value", ZONED)
@pytest.mark.parametrize("formats", [["%Y-%m-%d"], ["%d.%m.%Y"], []])
def test_a_zoned_iso_timestamp_reads_as_the_general_reader_reads_it(value, formats):
    """One zoned ISO 8601 value is read at once (the general reader took 4 ms, paid by each
    live observation); it must give what that reader gives: the UTC time, naive, or nothing."""
    general = to_datetime(pd.Series([value], dtype=object), {"formats": formats, "utc": True})
    expected = None if pd.isna(general.iloc[0]) else general.iloc[0].tz_localize(None)
    got = read_timestamp(value, {"formats": formats})
    assert got == expected if expected is not None else got is None
    if got is not None:
        assert got.unit == "ns" and got.tzinfo is None


def test_zoned_times_are_converted_to_utc():
    assert read_timestamp("2024-01-31T09:30:00+01:00", None) == pd.Timestamp("2024-01-31 08:30")
    assert read_timestamp("2024-01-31 09:30Z", None) == pd.Timestamp("2024-01-31 09:30")


@pytest.mark.parametrize(
    ("value", "quarter"),
    [("1998-Q1", True), ("1998 Q1", True), ("Q1 1998", True), ("q2/2001", True),
     ("Q5 1998", False), ("1998-01", False), ("Q3 1500", False), ("2024-01-31", False)],
)  # fmt: skip
def test_quarters_are_told_apart_from_dates(value, quarter):
    from datasets.coercion import is_quarter

    assert is_quarter(value) is quarter
