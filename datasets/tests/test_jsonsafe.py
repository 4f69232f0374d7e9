"""The one JSON-safe converter: every kind of value the stages produce survives `json.dumps`."""

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd

from datasets.jsonsafe import json_safe


def test_missing_values_become_none():
    for value in (None, float("nan"), float("inf"), -np.inf, np.float32("nan"), pd.NaT, pd.NA):
        assert json_safe(value) is None
    assert json_safe(np.datetime64("NaT")) is None
    assert json_safe(np.timedelta64("NaT")) is None


def test_numpy_scalars_become_python_ones():
    assert json_safe(np.int64(3)) == 3 and type(json_safe(np.int64(3))) is int
    assert type(json_safe(np.float32(1.5))) is float
    assert json_safe(np.bool_(True)) is True
    assert type(json_safe(np.str_("a"))) is str
    assert json_safe(Decimal("2.5")) == 2.5


def test_dates_durations_and_bytes_become_text():
    assert json_safe(pd.Timestamp("2024-01-01")) == "2024-01-01T00:00:00"
    assert json_safe(np.datetime64("2024-01-01T06:00")) == "2024-01-01T06:00:00"
    assert json_safe(dt.date(2024, 1, 2)) == "2024-01-02"
    assert json_safe(pd.Timedelta(hours=1)) == "0 days 01:00:00"
    assert json_safe(dt.timedelta(days=1)) == "1 days 00:00:00"
    assert json_safe(b"caf\xc3\xa9") == "café"
    assert json_safe(pd.Period("2024-01", freq="M")) == "2024-01"


def test_containers_are_converted_recursively_with_text_keys():
    value = {
        1: [np.float64("nan"), np.int8(2)],
        "arr": np.array([1.0, np.inf]),
        "set": {np.int64(4)},
        "nested": ({"t": pd.Timestamp("2024-01-01")},),
    }
    out = json_safe(value)
    assert out == {
        "1": [None, 2],
        "arr": [1.0, None],
        "set": [4],
        "nested": [{"t": "2024-01-01T00:00:00"}],
    }
    assert json.loads(json.dumps(out, allow_nan=False)) == out
