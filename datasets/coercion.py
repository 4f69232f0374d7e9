"""Coercion of raw columns to their profiled semantic types (numbers, booleans, timestamps,
labels), identical for training and prediction frames. Django-free.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from datasets.semantics import (
    boolean_number,
    datetime_spec,
    looks_like_quarter,
    period_starts,
    present_strings,
    quarter_starts,
    text_to_number,
)


def _to_numeric(values: pd.Series, spec: dict[str, Any] | None) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    return text_to_number(values, spec or {"decimal": ".", "thousands": None})


def unread_numbers(values: pd.Series, spec: dict[str, Any] | None) -> pd.Series:
    """The values of a numeric column, as written, that do not read as numbers (`coerce_types`
    makes them missing): present text that is neither a number nor a missing word ("NA", "-").
    Empty for a column the file already holds as numbers."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.iloc[:0]
    text = present_strings(values)
    return text[_to_numeric(text, spec).isna()]


def _to_boolean(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        return numbers.where(numbers.isin([0.0, 1.0]))

    return pd.Series([boolean_number(v) for v in values], index=values.index, dtype="float64")


def _as_text(value: Any) -> str:
    """A value as date text: a whole float is written as an integer (the year 1998.0 is "1998")."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_datetime(values: pd.Series, spec: dict[str, Any] | None) -> pd.Series:
    """Timestamps in ns: UTC-aware when the column had time zones (spec utc), else naive."""
    if spec is None or "utc" not in spec:
        text = present_strings(values) if values.dtype == object else pd.Series(dtype=object)
        detected = datetime_spec(text) if not text.empty else None
        aware = getattr(values.dtype, "tz", None) is not None
        spec = detected or {"formats": ["ISO8601", "mixed"], "utc": aware}
    utc = bool(spec.get("utc"))
    target = "datetime64[ns, UTC]" if utc else "datetime64[ns]"
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dtype, "tz", None) is not None:
            out = out.dt.tz_convert("UTC")
            if not utc:
                out = out.dt.tz_localize(None)
        elif utc:
            out = out.dt.tz_localize("UTC")
        return out.astype(target)
    result = pd.Series(pd.NaT, index=values.index, dtype=target)
    present = values.notna()
    stamps = present & values.map(lambda v: isinstance(v, (dt.datetime, dt.date)))
    if stamps.any():
        parsed = pd.to_datetime(values[stamps], utc=True)
        result[stamps] = (parsed if utc else parsed.dt.tz_localize(None)).astype(target)
    text = values[present & ~stamps].map(_as_text)
    periods = period_starts(text).dropna() if not text.empty else text
    if not periods.empty:
        result.loc[periods.index] = (periods.dt.tz_localize("UTC") if utc else periods).astype(
            target
        )
    formats = list(spec.get("formats") or [])
    if "ISO8601" not in formats:
        formats.append("ISO8601")  # values sent later in ISO form still read
    for fmt in formats:
        todo = text[result[text.index].isna()]
        if todo.empty:
            break
        try:
            parsed = pd.to_datetime(todo, format=fmt, errors="coerce", utc=utc)
        except (ValueError, TypeError):
            # Mixed naive / aware values in a naive column: read in UTC, then drop the zone.
            parsed = pd.to_datetime(todo, format=fmt, errors="coerce", utc=True)
            if not utc:
                parsed = parsed.dt.tz_localize(None)
        result.loc[todo.index] = parsed.astype(target)
    return result


# The ISO forms the quick reader takes itself (a date, and a time to the second or its
# fraction, after "T" or a space); others, zoned ones and week dates included, go to pandas.
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_NOT_A_STAMP = np.datetime64("NaT", "ns")


def read_dates_quickly(values: list[Any], spec: dict[str, Any] | None) -> np.ndarray | None:
    """The request path's reading of a few date values, as `to_datetime` reads them (naive
    ns), without pandas: for a naive column whose profile named its formats, when every value
    is None or text that one of them (or plain ISO) reads. None otherwise (a zoned or quarter
    value, a missing-value word, text no format reads...), and `to_datetime` is asked."""
    if not spec or spec.get("utc") or not spec.get("formats"):
        return None
    formats = [f for f in spec["formats"] if f != "ISO8601"]
    if "mixed" in formats:
        return None
    out = np.empty(len(values), dtype="datetime64[ns]")
    for i, value in enumerate(values):
        if value is None:
            out[i] = _NOT_A_STAMP
            continue
        if type(value) is not str:
            return None
        stamp = _quick_stamp(value.strip(), spec["formats"], formats)
        if stamp is None:
            return None
        out[i] = np.datetime64(stamp, "ns")
    return out


def _quick_stamp(text: str, listed: list[str], formats: list[str]) -> dt.datetime | None:
    """One value read by the first of the column's formats that reads it whole, in their order
    (ISO where the list has it, else last, as `to_datetime` tries it); None when none does or
    the text could be a quarter or an ISO week."""
    if not text or "q" in text.lower() or "w" in text.lower():
        return None
    order = list(listed) if "ISO8601" in listed else [*formats, "ISO8601"]
    for fmt in order:
        if fmt == "ISO8601":
            if _PLAIN_ISO.fullmatch(text):
                try:
                    return dt.datetime.fromisoformat(text)
                except ValueError:  # no such day (2024-02-30)
                    pass
            continue
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


# ISO 8601 with a zone ("2024-01-31T09:30:00+01:00", "...Z"), read by pd.Timestamp at once; the
# general reader takes about 4 ms for one value, which each live observation used to pay.
_ISO_ZONED = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$"
)


def read_timestamp(value: str, spec: dict[str, Any] | None) -> pd.Timestamp | None:
    """One timestamp written in a column's notation: the formats of its parse spec (day/month
    order included), a quarter ("Q3 1983", "1983-Q3"), or ISO 8601. Zoned values are converted
    to UTC and returned naive, naive ones as written; None when the value does not read so."""
    formats = list((spec or {}).get("formats") or [])
    if isinstance(value, str):  # plain text the quick reader is sure of (no zone to convert)
        quick = read_dates_quickly([value], {"formats": formats, "utc": False})
        if quick is not None:
            return pd.Timestamp(quick[0])
        if _ISO_ZONED.match(value.strip()):  # ISO 8601 with its zone: one reading, read at once
            try:
                return pd.Timestamp(value.strip()).tz_convert("UTC").tz_localize(None).as_unit("ns")
            except (ValueError, OverflowError):  # no such day, or past pandas' calendar
                pass  # the general reader says what it makes of it
    stamps = to_datetime(pd.Series([value], dtype=object), {"formats": formats, "utc": True})
    stamp = stamps.iloc[0]
    return None if pd.isna(stamp) else pd.Timestamp(stamp).tz_localize(None)


def is_quarter(value: str) -> bool:
    """Whether `value` is a quarter such as "1998-Q1", "1998 Q1" or "Q1 1998"."""
    if not looks_like_quarter(str(value)):
        return False
    return bool(quarter_starts(pd.Series([value], dtype=object)).notna().iloc[0])


def label_of(value: Any) -> Any:
    """One category label: a stripped string (1, 1.0 and "1" all become "1"); NaN when missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return np.nan
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return np.nan
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        stripped = value.strip()
        return np.nan if stripped == "" else stripped
    return str(value)


def _to_label(values: pd.Series) -> pd.Series:
    """`label_of` of every value, worked out once per distinct value where that is safe."""
    if _same_kind(values):  # each distinct value labelled once (1 and True would merge)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        labels = np.array([label_of(u) for u in uniques] + [np.nan], dtype=object)
        return pd.Series(labels[codes], index=values.index, dtype=object)
    return pd.Series([label_of(v) for v in values], index=values.index, dtype=object)


def _same_kind(values: pd.Series) -> bool:
    """True when equal values of the series also label alike: a numeric, boolean or text dtype,
    or objects that are all strings (missing aside). Mixed objects (True beside 1) are not."""
    if values.dtype != object:
        return values.dtype.kind in "biufOSU" or pd.api.types.is_string_dtype(values)
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def coerce_types(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> pd.DataFrame:
    """A copy of `df` with each profiled column converted to its semantic type.

    numeric and boolean -> float64 (boolean as 0.0/1.0), datetime -> datetime64[ns] (UTC-aware if
    profiled with time zones), categorical/text -> stripped strings; id columns keep their values.
    Depends only on `columns_info`, so training and prediction frames get the same dtypes, and
    applying it twice changes nothing. Columns without info are left as they are.
    """
    out = df.copy()
    for info in columns_info:
        name = info["name"]
        if name not in out.columns:
            continue
        values = out[name]
        semantic = info.get("semantic_type")
        spec = info.get("parse")
        if semantic == "numeric":
            out[name] = _to_numeric(values, spec)
        elif semantic == "boolean":
            out[name] = _to_boolean(values)
        elif semantic == "datetime":
            out[name] = to_datetime(values, spec)
        elif semantic in ("categorical", "text") or (
            semantic == "id" and not pd.api.types.is_numeric_dtype(values)
        ):
            out[name] = _to_label(values)
    return out
