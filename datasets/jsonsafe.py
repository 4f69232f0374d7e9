"""The one JSON-safe converter: numpy/pandas values and containers to plain Python that
`json.dumps` (and a Django JSONField) accepts, with NaN/inf/NaT/NA as None. Django-free.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """`value` as JSON-safe Python, recursively.

    Dicts keep their shape with text keys; lists, tuples, sets and arrays become lists. Missing
    values (None, NaN, inf, NaT, NA) become None; numpy scalars become Python ones; dates and
    times become ISO text, durations pandas' text; bytes are decoded; anything else is its text.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.timedelta64):  # a numpy integer subclass: before the int test
        return None if np.isnat(value) else str(pd.Timedelta(value))
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return None if pd.isna(value) else str(pd.Timedelta(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return _scalar(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
