"""Profiling of tabular data: semantic column types, type coercion, time-series detection,
validation and per-column statistics. Django-free, works on pandas frames or chunk streams.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from datasets.jsonsafe import json_safe

SEMANTIC_TYPES = ("numeric", "categorical", "datetime", "text", "boolean", "id")

_NULL_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "missing", "#n/a", "nat"}
)
_TRUE_TOKENS = frozenset({"true", "yes", "y", "t", "1", "1.0"})
_FALSE_TOKENS = frozenset({"false", "no", "n", "f", "0", "0.0"})
_BOOL_PAIRS = (
    frozenset({"true", "false"}),
    frozenset({"yes", "no"}),
    frozenset({"y", "n"}),
    frozenset({"t", "f"}),
    frozenset({"1", "0"}),
    frozenset({"1.0", "0.0"}),
)
_BOOL_SINGLES = frozenset({"true", "false", "yes", "no"})

_ID_NAMES = frozenset(
    {"id", "uuid", "guid", "key", "index", "rownames", "rowid", "row_id", "row_number", "rownum"}
)
_ID_SUFFIX = re.compile(r"[\s_.\-](?:id|uuid|guid|key|number|no)$")
_ID_CAMEL = re.compile(r"[a-z](?:Id|ID)$")
_TIMEISH_NAME = re.compile(r"(year|yr|month|day|date|time|period|week|quarter|hour)", re.I)

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_NUMBER_DECOR = re.compile(r"[$€£¥%\s\u00a0]")
_LEADING_ZERO = re.compile(r"^0\d+$")

_DATEISH = re.compile(
    r"\d{1,4}[-/.]\d{1,2}|[A-Za-z]{3,9}\.?,?\s+\d{1,4}|\d{1,2}[\s\-][A-Za-z]{3,9}"
)
_TZ_SUFFIX = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$")
_DATE_BASES = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%m.%d.%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d/%m/%y",
    "%m/%d/%y",
)
_DATE_FORMATS = (
    "ISO8601",
    *(base + suffix for base in _DATE_BASES for suffix in ("", " %H:%M", " %H:%M:%S")),
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %Y",
    "%B %Y",
)
# Day-first and month-first twins: when both read every value, the data decides between them.
_TWINS = {
    fmt: fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    for fmt in _DATE_FORMATS
    if fmt.startswith("%d") and "%m" in fmt
}

_DETECT_SAMPLE = 2_000
_MIN_SHARE = 0.95
_HIGH_MISSING = 30.0


# --------------------------------------------------------------------------- type inference


def _looks_like_id_name(name: str) -> bool:
    lower = name.strip().lower()
    return (
        lower in _ID_NAMES
        or lower.startswith("unnamed:")
        or bool(_ID_SUFFIX.search(lower))
        or bool(_ID_CAMEL.search(name.strip()))
    )


def _strings(values: pd.Series) -> pd.Series:
    """Non-null values as stripped strings, null tokens ("NA", "-", "") removed."""
    text = values.dropna().map(lambda v: v.strip() if isinstance(v, str) else str(v))
    return text[~text.str.lower().isin(_NULL_TOKENS)]


def _is_integral(values: pd.Series | np.ndarray) -> bool:
    arr = np.asarray(values)  # numpy, not pandas: this runs once per column of wide tables
    if arr.dtype.kind in "iu":
        return True
    arr = arr.astype("float64", copy=False)
    finite = arr[np.isfinite(arr)]
    return bool(finite.size) and bool((finite == np.floor(finite)).all())


def _numeric_spec(text: pd.Series) -> dict[str, Any] | None:
    """How to read numbers written as text (separators), or None when they are not numbers."""
    if text.empty or text.map(lambda v: bool(_LEADING_ZERO.match(v))).any():
        return None  # "007", "01234": codes whose leading zeros matter
    clean = text.map(lambda v: _NUMBER_DECOR.sub("", v))
    clean = clean[clean != ""]
    if clean.empty:
        return None
    for pattern, spec in (
        (_PLAIN_NUMBER, {"decimal": ".", "thousands": None}),
        (_COMMA_DECIMAL, {"decimal": ",", "thousands": None}),
    ):
        if clean.str.match(pattern).mean() >= 0.98:
            return spec
    plain = clean.str.match(_PLAIN_NUMBER)
    if (plain | clean.str.match(_COMMA_THOUSANDS)).mean() >= 0.98:
        return {"decimal": ".", "thousands": ","}
    european = clean.str.match(_DOT_THOUSANDS) | clean.str.match(_COMMA_DECIMAL)
    if (european | clean.str.match(r"^[+-]?\d+$")).mean() >= 0.98:
        return {"decimal": ",", "thousands": "."}
    return None


def _parse_dates(text: pd.Series, fmt: str, utc: bool) -> pd.Series:
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]" if utc else None)


def _order_score(parsed: pd.Series) -> tuple[float, int]:
    """(share of non-decreasing steps in row order, minus number of distinct steps)."""
    values = parsed.dropna()
    if len(values) < 2:
        return (0.0, 0)
    steps = values.diff().iloc[1:]
    return (float((steps >= pd.Timedelta(0)).mean()), -int(steps.abs().nunique()))


def _datetime_spec(text: pd.Series) -> dict[str, Any] | None:
    """The date formats (in order of use) that read at least 95% of `text`, or None."""
    sample = text.iloc[:_DETECT_SAMPLE]
    if sample.empty or sample.str.contains(_DATEISH).mean() < _MIN_SHARE:
        return None
    utc = bool(sample.str.contains(_TZ_SUFFIX).any())
    parsed = {fmt: _parse_dates(sample, fmt, utc) for fmt in _DATE_FORMATS}
    hits = {fmt: int(values.notna().sum()) for fmt, values in parsed.items()}
    losers: set[str] = set()
    for day_first, month_first in _TWINS.items():
        # Both read the same values: prefer the reading that makes the column run forward in
        # regular steps; month-first (pandas' habit) when that does not decide.
        if hits[day_first] == hits[month_first] > 0:
            if _order_score(parsed[day_first]) > _order_score(parsed[month_first]):
                losers.add(month_first)
            else:
                losers.add(day_first)
    rank = {fmt: i for i, fmt in enumerate(_DATE_FORMATS)}
    formats: list[str] = []
    covered = pd.Series(False, index=sample.index)
    while not covered.all() and len(formats) < 4:  # every format in use, for mixed columns
        gains = {
            fmt: int((values.notna() & ~covered).sum())
            for fmt, values in parsed.items()
            if fmt not in formats
        }
        best = max(gains, key=lambda f: (gains[f], f not in losers, -rank[f]))
        if gains[best] == 0:
            break
        formats.append(best)
        covered |= parsed[best].notna()
    if covered.mean() < _MIN_SHARE:
        return None
    return {"formats": formats, "utc": utc}


def _infer_column(values: pd.Series, name: str) -> tuple[str, dict[str, Any] | None]:
    """(semantic_type, parse spec or None) for one column."""
    non_null = values.dropna()
    n = len(non_null)
    if pd.api.types.is_bool_dtype(values):
        return "boolean", None
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime", {"formats": [], "utc": getattr(values.dtype, "tz", None) is not None}
    if n == 0:
        return ("numeric" if pd.api.types.is_numeric_dtype(values) else "categorical"), None
    if pd.api.types.is_numeric_dtype(values):
        return _infer_numeric(non_null.astype("float64"), name, values.dtype), None
    text = _strings(values)
    if text.empty:
        return "categorical", None
    lower = set(text.str.lower().unique()[:3])
    if (len(lower) == 2 and frozenset(lower) in _BOOL_PAIRS) or (
        len(lower) == 1 and lower <= _BOOL_SINGLES
    ):
        return "boolean", None
    numeric = _numeric_spec(text)
    if numeric is not None:
        number = _text_to_number(text, numeric)
        semantic = _infer_numeric(number.dropna(), name, np.dtype("float64"))
        if semantic == "boolean":
            return "boolean", None
        return semantic, (numeric if semantic != "id" else None)
    dates = _datetime_spec(text)
    if dates is not None:
        return "datetime", dates
    return _infer_text(text, name), None


def _infer_numeric(values: pd.Series | np.ndarray, name: str, dtype: Any) -> str:
    """The semantic type of present (non-null) numbers: numeric, boolean (0/1) or id."""
    arr = np.asarray(values, dtype="float64")
    n = arr.size
    uniques = np.unique(arr)
    if len(uniques) == 2 and set(uniques.tolist()) == {0.0, 1.0}:
        return "boolean"
    if n < 2 or not _is_integral(arr) or _TIMEISH_NAME.search(name):
        return "numeric"
    unique_share = len(uniques) / n
    if _looks_like_id_name(name) and unique_share >= 0.95:
        return "id"
    # No telling name: only a row counter (0..n-1 / 1..n, step 1) counts as an identifier.
    if n >= 20 and unique_share == 1.0 and np.dtype(dtype).kind in "iu":
        steps = np.diff(arr)
        if (steps == 1).all() and arr[0] in (0, 1):
            return "id"
    return "numeric"


def _infer_text(text: pd.Series, name: str) -> str:
    n = len(text)
    unique = text.nunique()
    unique_share = unique / n
    mean_length = float(text.str.len().mean())
    has_space = text.str.contains(r"\s").mean()
    if unique_share >= 0.95 and n >= 3:
        if _looks_like_id_name(name) and has_space < 0.5:
            return "id"
        # Codes like "CUST-0012" or UUIDs: digits, no spaces, similar length.
        codeish = text.str.match(r"^[A-Za-z0-9_\-:.#/{}]+$") & text.str.contains(r"\d")
        lengths = text.str.len()
        if codeish.mean() >= 0.95 and lengths.max() - lengths.min() <= 3 and n >= 5:
            return "id"
    if mean_length >= 50 or (unique_share > 0.5 and unique > 50 and has_space >= 0.5):
        return "text"
    if unique_share > 0.9 and n >= 20 and has_space >= 0.5:
        return "text"
    return "categorical"


def _numeric_arrays(frame: pd.DataFrame) -> dict[int, np.ndarray]:
    """Position -> values of every int/float column, taken out once per dtype, not per column."""
    groups: dict[np.dtype, list[int]] = {}
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            groups.setdefault(dtype, []).append(i)
    arrays: dict[int, np.ndarray] = {}
    for dtype, positions in groups.items():
        block = frame.iloc[:, positions].to_numpy(dtype=dtype)
        for j, i in enumerate(positions):
            arrays[i] = block[:, j]
    return arrays


def _numeric_column_info(
    raw: np.ndarray, dtype: Any, name: str, total: int | None
) -> dict[str, Any]:
    """_column_info for an int/float column, in numpy (a 20,000-column table has 20,000)."""
    missing = np.isnan(raw) if raw.dtype.kind == "f" else np.zeros(len(raw), dtype=bool)
    kept = raw[~missing]
    nulls = int(missing.sum())
    base = total if total else len(raw)
    semantic = _infer_numeric(kept, name, dtype) if kept.size else "numeric"
    _, first = np.unique(kept[:1000], return_index=True)  # the first distinct values, in order
    return {
        "name": name,
        "dtype": str(dtype),
        "semantic_type": semantic,
        "null_count": nulls,
        "null_percentage": round(100.0 * nulls / base, 2) if base else 0.0,
        "unique_count": int(len(np.unique(kept))),
        "sample_values": [json_safe(v) for v in kept[np.sort(first)[:5]]],
    }


def _column_info(values: pd.Series, name: str, total: int | None = None) -> dict[str, Any]:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        return _numeric_column_info(values.to_numpy(), values.dtype, name, total)
    semantic, spec = _infer_column(values, name)
    rows = len(values)
    nulls = int(values.isna().sum())
    base = total if total else rows
    info: dict[str, Any] = {
        "name": name,
        "dtype": str(values.dtype),
        "semantic_type": semantic,
        "null_count": nulls,
        "null_percentage": round(100.0 * nulls / base, 2) if base else 0.0,
        "unique_count": int(_safe_nunique(values)),
        "sample_values": _sample_values(values),
    }
    if spec is not None:
        info["parse"] = spec
    return info


def _safe_nunique(values: pd.Series) -> int:
    try:
        return int(values.nunique(dropna=True))
    except TypeError:  # unhashable cells (lists from nested JSON)
        return int(values.dropna().astype(str).nunique())


def _sample_values(values: pd.Series, k: int = 5) -> list[Any]:
    seen: list[Any] = []
    keys: set[str] = set()
    for value in values.dropna().iloc[:1000]:
        key = repr(value)
        if key in keys:
            continue
        keys.add(key)
        seen.append(json_safe(value))
        if len(seen) == k:
            break
    return seen


def profile_frame(df: pd.DataFrame, *, total_rows: int | None = None) -> dict[str, Any]:
    """Column names, dtypes, semantic types, null and unique counts, samples of a frame.

    `total_rows` (when `df` is a sample) is reported as num_rows; counts describe `df` itself.
    """
    arrays = _numeric_arrays(df)
    dtypes = list(df.dtypes)
    columns_info = [
        _numeric_column_info(arrays[i], dtypes[i], str(c), None)
        if i in arrays
        else _column_info(df.iloc[:, i], str(c))
        for i, c in enumerate(df.columns)
    ]
    return {
        "num_rows": int(total_rows if total_rows is not None else len(df)),
        "num_columns": int(df.shape[1]),
        "columns_info": columns_info,
    }


def profile_chunks(
    chunks: Iterable[pd.DataFrame], *, sample_rows: int = 10_000, unique_limit: int = 100_000
) -> dict[str, Any]:
    """Profile a stream of frames: exact row/null counts, unique counts capped at `unique_limit`.

    Semantic types and samples come from the first `sample_rows` rows.
    """
    sample_parts: list[pd.DataFrame] = []
    sampled = 0
    rows = 0
    columns: list[str] = []
    nulls: dict[str, int] = {}
    uniques: dict[str, set] = {}
    capped: set[str] = set()
    dtypes: dict[str, set[str]] = {}
    for chunk in chunks:
        if not columns:
            columns = [str(c) for c in chunk.columns]
            nulls = dict.fromkeys(columns, 0)
            uniques = {c: set() for c in columns}
            dtypes = {c: set() for c in columns}
        chunk = chunk.set_axis([str(c) for c in chunk.columns], axis=1)
        if sampled < sample_rows:
            sample_parts.append(chunk.iloc[: sample_rows - sampled])
            sampled += len(sample_parts[-1])
        rows += len(chunk)
        if list(chunk.columns) == columns and len(set(columns)) == len(columns):
            _count_chunk(chunk, columns, nulls, dtypes, uniques, capped, unique_limit)
            continue
        for name in columns:
            if name not in chunk.columns:
                nulls[name] += len(chunk)
                continue
            values = chunk[name]
            if isinstance(values, pd.DataFrame):  # duplicated names: the first one
                values = values.iloc[:, 0]
            nulls[name] += int(values.isna().sum())
            dtypes[name].add(str(values.dtype))
            if name in capped:
                continue
            present = values.dropna()
            try:
                uniques[name].update(present.unique().tolist())
            except TypeError:
                uniques[name].update(present.astype(str).unique().tolist())
            if len(uniques[name]) > unique_limit:
                capped.add(name)
    if not columns:
        return {"num_rows": 0, "num_columns": 0, "columns_info": []}
    sample = pd.concat(sample_parts, ignore_index=True) if sample_parts else pd.DataFrame()
    profile = profile_frame(sample, total_rows=rows)
    for info in profile["columns_info"]:
        name = info["name"]
        info["null_count"] = nulls[name]
        info["null_percentage"] = round(100.0 * nulls[name] / rows, 2) if rows else 0.0
        info["unique_count"] = min(len(uniques[name]), unique_limit)
        if name in capped:
            info["unique_count_capped"] = True
        info["dtype"] = _merge_dtypes(dtypes[name]) or info["dtype"]
        present = rows - nulls[name]
        looked_unique = info["semantic_type"] == "id" and name not in capped and present
        if looked_unique and info["unique_count"] / present < 0.9:  # the file is not unique
            numeric = pd.api.types.is_numeric_dtype(sample[name])
            info["semantic_type"] = "numeric" if numeric else "categorical"
    return profile


def _count_chunk(
    chunk: pd.DataFrame,
    columns: list[str],
    nulls: dict[str, int],
    dtypes: dict[str, set[str]],
    uniques: dict[str, set],
    capped: set[str],
    unique_limit: int,
) -> None:
    """Fold one chunk (same columns as the first) into the counts, numeric columns in numpy."""
    null_counts = chunk.isna().sum().to_numpy()
    chunk_dtypes = [str(d) for d in chunk.dtypes]
    arrays = _numeric_arrays(chunk)
    for i, name in enumerate(columns):
        nulls[name] += int(null_counts[i])
        dtypes[name].add(chunk_dtypes[i])
        if name in capped:
            continue
        if i in arrays:
            arr = arrays[i]
            present = arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr
            uniques[name].update(np.unique(present).tolist())
        else:
            values = chunk.iloc[:, i].dropna()
            try:
                uniques[name].update(values.unique().tolist())
            except TypeError:
                uniques[name].update(values.astype(str).unique().tolist())
        if len(uniques[name]) > unique_limit:
            capped.add(name)


def _merge_dtypes(seen: set[str]) -> str | None:
    if not seen:
        return None
    if len(seen) == 1:
        return next(iter(seen))
    if all(d in ("bool", "float64", "float32") or d.startswith(("int", "uint")) for d in seen):
        return "float64"
    return "object"


# --------------------------------------------------------------------------- coercion


def _text_to_number(values: pd.Series, spec: dict[str, Any]) -> pd.Series:
    def one(value: Any) -> float:
        if value is None or isinstance(value, bool):
            return float(value) if isinstance(value, bool) else math.nan
        if isinstance(value, (int, float, np.integer, np.floating, Decimal)):
            return float(value)
        if not isinstance(value, str):
            return math.nan
        text = _NUMBER_DECOR.sub("", value.strip())
        if text.lower() in _NULL_TOKENS:
            return math.nan
        if spec.get("thousands"):
            text = text.replace(spec["thousands"], "")
        if spec.get("decimal") == ",":
            text = text.replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return math.nan

    return pd.Series([one(v) for v in values], index=values.index, dtype="float64")


def _to_numeric(values: pd.Series, spec: dict[str, Any] | None) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    return _text_to_number(values, spec or {"decimal": ".", "thousands": None})


def _to_boolean(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        return numbers.where(numbers.isin([0.0, 1.0]))

    def one(value: Any) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        token = str(value).strip().lower()
        if token in _TRUE_TOKENS:
            return 1.0
        if token in _FALSE_TOKENS:
            return 0.0
        return math.nan

    return pd.Series([one(v) for v in values], index=values.index, dtype="float64")


def _to_datetime(values: pd.Series, spec: dict[str, Any] | None) -> pd.Series:
    """Timestamps in ns: UTC-aware when the column had time zones (spec utc), else naive."""
    if spec is None or "utc" not in spec:
        text = _strings(values) if values.dtype == object else pd.Series(dtype=object)
        detected = _datetime_spec(text) if not text.empty else None
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
    text = values[present & ~stamps].map(lambda v: str(v).strip())
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


def _to_label(values: pd.Series) -> pd.Series:
    """Category labels as stripped strings (1, 1.0 and "1" all become "1"); missing stays NaN."""

    def one(value: Any) -> Any:
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

    return pd.Series([one(v) for v in values], index=values.index, dtype=object)


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
            out[name] = _to_datetime(values, spec)
        elif semantic in ("categorical", "text") or (
            semantic == "id" and not pd.api.types.is_numeric_dtype(values)
        ):
            out[name] = _to_label(values)
    return out


# --------------------------------------------------------------------------- time series

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MAX_GRID_FACTOR = 20  # a grid this many times larger than the data means "not regular"


def _calendar_alias(stamps: pd.DatetimeIndex, days: int) -> str | None:
    """Month, quarter or year alias when every timestamp sits on the same anchor."""
    if stamps.is_month_start.all():
        anchor, kind = "S", "start"
    elif stamps.is_month_end.all():
        anchor, kind = "E", "end"
    else:
        return None
    if 28 <= days <= 31:
        return f"M{anchor}"
    if 89 <= days <= 92:
        residues = set((stamps.month % 3).tolist())
        if len(residues) != 1:
            return None
        if kind == "start":
            month = (int(stamps[0].month) - 1) % 3 + 1  # JAN, FEB or MAR starts the cycle
            return "QS" if month == 1 else f"QS-{_MONTHS[month - 1]}"
        month = 12 - (12 - int(stamps[0].month)) % 3  # OCT, NOV or DEC ends the year
        return "QE" if month == 12 else f"QE-{_MONTHS[month - 1]}"
    if 365 <= days <= 366:
        if stamps.month.nunique() != 1:
            return None
        month = int(stamps[0].month)
        if kind == "start":
            return "YS" if month == 1 else f"YS-{_MONTHS[month - 1]}"
        return "YE" if month == 12 else f"YE-{_MONTHS[month - 1]}"
    return None


def dates_out_of_range(values: pd.Series, limit: int = 50) -> str | None:
    """A text value of `values` that reads as a date outside what pandas' nanosecond timestamps
    hold (1677-09-21 to 2262-04-11), or None. Looks at the first `limit` values only."""
    from dateutil import parser as date_parser

    low, high = dt.datetime(1677, 9, 22), dt.datetime(2262, 4, 11)  # inside ns Timestamp limits
    for value in _strings(values).head(limit):
        if not _DATEISH.search(value):
            continue
        try:
            parsed = date_parser.parse(value, default=dt.datetime(2000, 1, 1))
        except (ValueError, OverflowError):
            continue
        parsed = parsed.replace(tzinfo=None)
        if parsed < low or parsed > high:
            return value
    return None


def _steps_ns(stamps: pd.DatetimeIndex) -> np.ndarray:
    """Steps between sorted timestamps in int64 ns; -1 for a step over int64's ~292 years."""
    ns = stamps.asi8
    wide = np.diff(ns.astype("float64"))
    steps = np.diff(ns)
    return np.where(wide > 9.0e18, -1, steps)


def infer_frequency(series_stamps: list[pd.DatetimeIndex]) -> str | None:
    """A pandas offset alias for sorted unique timestamps of one or more series, or None."""
    diffs = [_steps_ns(s) for s in series_stamps if len(s) > 1]
    if not diffs:
        return None
    steps = np.concatenate(diffs)
    if (steps <= 0).any():  # unsorted, or a step too long for int64 nanoseconds
        return None
    values, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
    stamps = (
        series_stamps[0].append(list(series_stamps[1:]))
        if len(series_stamps) > 1
        else (series_stamps[0])
    )
    day = pd.Timedelta(days=1)
    if step <= pd.Timedelta(0):
        return None
    if step < day or step % day != pd.Timedelta(0):
        seconds = step.total_seconds()
        if seconds % 3600 == 0:
            hours = int(seconds // 3600)
            return "h" if hours == 1 else f"{hours}h"
        if seconds % 60 == 0:
            minutes = int(seconds // 60)
            return "min" if minutes == 1 else f"{minutes}min"
        if float(seconds).is_integer():
            return "s" if seconds == 1 else f"{int(seconds)}s"
        return None
    days = int(step / day)
    if days == 1:
        weekend = (stamps.dayofweek >= 5).any()
        three_day = (steps == pd.Timedelta(days=3).value).any()
        return "B" if not weekend and three_day else "D"
    if days == 7:
        return f"W-{_WEEKDAYS[int(stamps[0].dayofweek)]}"
    if 28 <= days <= 31 or 89 <= days <= 92 or 365 <= days <= 366:
        return _calendar_alias(stamps, days)
    return f"{days}D"


def _series_facts(stamps: pd.Series, groups: pd.Series | None) -> dict[str, Any]:
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
        regular = off_grid / total_unique <= 0.1 and (expected - gaps) / max(expected, 1) >= 0.5
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


def _id_candidates(df: pd.DataFrame, columns_info: list[dict[str, Any]], time_column: str):
    preferred, numeric = [], []
    for info in columns_info:
        name = info["name"]
        if name == time_column or name not in df.columns:
            continue
        if info.get("semantic_type") in ("categorical", "id"):
            preferred.append(name)
        elif info.get("semantic_type") == "numeric" and _is_integral(
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


def _empty_series() -> dict[str, Any]:
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
    best_key: tuple | None = None
    for name in candidates:
        info = info_by_name.get(name, {"name": name, "semantic_type": "datetime"})
        stamps = _to_datetime(df[name], info.get("parse"))
        if stamps.notna().sum() < 3:
            continue
        id_column = _find_id_column(df, stamps, columns_info, name)
        facts = _series_facts(stamps, df[id_column] if id_column else None)
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
        result = _empty_series()
        result["time_column"] = time_column if candidates else None
        return result
    if not best["is_time_series"] and time_column is None:
        # A date column that does not make a series: report no series, keep nothing forced.
        return {**_empty_series(), "duplicates": 0}
    return best


# --------------------------------------------------------------------------- validation


def _complete_info(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """columns_info for the columns of `df`, profiling any column the list does not describe."""
    known = {c["name"]: c for c in columns_info}
    return [
        known.get(str(name)) or _column_info(df.iloc[:, i], str(name))
        for i, name in enumerate(df.columns)
    ]


def _target_candidates(typed: pd.DataFrame, info: list[dict[str, Any]], skip: set[str]) -> list:
    hinted, others = [], []
    hint = re.compile(r"^(target|label|y|class|outcome|price|sales|demand|value|status)$", re.I)
    for col in info:
        name, semantic = col["name"], col["semantic_type"]
        if name in skip or semantic in ("id", "text", "datetime"):
            continue
        values = typed[name].dropna()
        count = _safe_nunique(values)
        if count < 2:
            continue
        if semantic == "categorical" and count > 50:
            continue
        (hinted if hint.match(name) else others).append(name)
    return hinted + others[::-1]  # the last column is the usual place for a target


def validate_frame(
    df: pd.DataFrame,
    columns_info: list[dict[str, Any]],
    *,
    time_column: str | None = None,
    whole_table: bool = True,
) -> dict[str, Any]:
    """Problems that block training (errors) or weaken it (warnings), plus detected facts.

    With `whole_table=False` (`df` holds a page of the columns) the checks that need every
    column (duplicate rows, no usable column) are left to the caller.
    """
    errors: list[str] = []
    warnings: list[str] = []
    info = _complete_info(df, columns_info)
    typed = coerce_types(df, info)
    rows = len(typed)
    if typed.shape[1] == 0:
        errors.append("The dataset has no columns.")
    if rows == 0:
        errors.append("The dataset has no rows.")
    unusable = 0
    for col in info:
        name = col["name"]
        values = typed[name]
        missing = int(values.isna().sum())
        if rows and missing == rows:
            errors.append(f"Column '{name}' is empty (every value is missing).")
            unusable += 1
            continue
        share = 100.0 * missing / rows if rows else 0.0
        if share > _HIGH_MISSING:
            warnings.append(f"Column '{name}' has {share:.1f}% missing values.")
        if rows > 1 and _safe_nunique(values) == 1:
            warnings.append(f"Column '{name}' has a single value (constant).")
            unusable += 1
        elif col["semantic_type"] == "id":
            unusable += 1
        if len(col.get("parse", {}).get("formats", [])) > 1:
            formats = ", ".join(col["parse"]["formats"])
            warnings.append(f"Column '{name}' mixes date formats ({formats}).")
    if whole_table and info and rows and unusable == len(info):
        errors.append("No usable columns: every column is empty, constant or an identifier.")
    if whole_table and rows:
        try:
            duplicated = int(typed.duplicated().sum())
        except TypeError:
            duplicated = int(typed.astype(str).duplicated().sum())
        if duplicated:
            warnings.append(f"{duplicated} row(s) are exact duplicates of an earlier row.")
    series = _empty_series()
    if time_column is not None and time_column not in typed.columns:
        errors.append(f"The time column '{time_column}' is not in the dataset.")
    elif rows:
        series = detect_time_series(typed, info, time_column=time_column)
        if time_column is not None:
            parsed = typed[time_column]
            if not pd.api.types.is_datetime64_any_dtype(parsed):
                parsed = _to_datetime(df[time_column], None)
            bad = int(parsed.isna().sum())
            if bad == rows:
                errors.append(f"The time column '{time_column}' holds no readable dates.")
            elif bad:
                warnings.append(f"{bad} value(s) of '{time_column}' are missing or not dates.")
        if series["time_column"]:
            if series["gaps"]:
                warnings.append(
                    f"The series has {series['gaps']} missing timestamp(s) (gaps) at frequency "
                    f"{series['frequency']}."
                )
            if series["duplicates"]:
                warnings.append(
                    f"{series['duplicates']} timestamp(s) are repeated within a series."
                )
    skip = {c for c in (series["time_column"], series["id_column"]) if c}
    return {
        "valid": not errors,
        "errors": errors,
        "warnings": warnings,
        "detected": {
            "time_column": series["time_column"],
            "frequency": series["frequency"],
            "target_candidates": _target_candidates(typed, info, skip) if rows else [],
            "id_column": series["id_column"],
            "is_time_series": series["is_time_series"],
        },
    }


# --------------------------------------------------------------------------- statistics


def _top_values(counts: pd.Series | Counter, k: int = 10) -> list[dict[str, Any]]:
    items = counts.most_common(k) if isinstance(counts, Counter) else list(counts.head(k).items())
    return [{"value": json_safe(v), "count": int(c)} for v, c in items]


def _numeric_stats(values: pd.Series) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    if finite.empty:
        keys = ("mean", "std", "min", "p25", "p50", "p75", "max")
        return {"count": 0, **dict.fromkeys(keys)}
    q = finite.quantile([0.25, 0.5, 0.75]).tolist()
    return {
        "count": int(len(finite)),
        "mean": json_safe(finite.mean()),
        "std": json_safe(finite.std()) if len(finite) > 1 else None,
        "min": json_safe(finite.min()),
        "p25": json_safe(q[0]),
        "p50": json_safe(q[1]),
        "p75": json_safe(q[2]),
        "max": json_safe(finite.max()),
    }


def _datetime_stats(values: pd.Series) -> dict[str, Any]:
    present = values.dropna()
    facts = _series_facts(present, None) if len(present) > 1 else None
    return {
        "count": int(len(present)),
        "min": json_safe(present.min()) if len(present) else None,
        "max": json_safe(present.max()) if len(present) else None,
        "frequency": facts["frequency"] if facts and facts["regular"] else None,
        "gaps": facts["gaps"] if facts and facts["regular"] else None,
    }


def column_statistics(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-column statistics keyed by column name; JSON-safe (None instead of NaN/inf)."""
    info = _complete_info(df, columns_info)
    typed = coerce_types(df, info)
    result: dict[str, Any] = {}
    for col in info:
        name, semantic = col["name"], col["semantic_type"]
        values = typed[name]
        stats: dict[str, Any] = {"semantic_type": semantic, "null_count": int(values.isna().sum())}
        if semantic == "numeric":
            stats.update(_numeric_stats(values.astype("float64")))
        elif semantic == "datetime":
            stats.update(_datetime_stats(values))
        else:
            present = values.dropna()
            if present.map(lambda v: isinstance(v, (list, dict))).any():
                present = present.astype(str)
            counts = present.value_counts()
            stats.update(
                {
                    "count": int(len(present)),
                    "unique": int(len(counts)),
                    "top_values": _top_values(counts),
                }
            )
            if semantic == "boolean" and len(present):
                stats["mean"] = json_safe(present.astype("float64").mean())
        result[name] = stats
    return result


def statistics_chunks(
    chunks: Iterable[pd.DataFrame],
    columns_info: list[dict[str, Any]],
    *,
    quantile_sample: int = 50_000,
    category_limit: int = 100_000,
    seed: int = 0,
) -> dict[str, Any]:
    """column_statistics over a stream of frames.

    Counts, mean, std, min and max are exact; quantiles come from a uniform random sample of
    `quantile_sample` values per column; category counts stop growing past `category_limit`
    distinct values (then top_values are approximate and "approximate" is set).
    """
    rng = np.random.default_rng(seed)
    state: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        typed = coerce_types(chunk, columns_info)
        for col in columns_info:
            name, semantic = col["name"], col["semantic_type"]
            if name not in typed.columns:
                continue
            values = typed[name]
            st = state.setdefault(name, {"nulls": 0})
            st["nulls"] += int(values.isna().sum())
            if semantic == "numeric":
                _update_numeric(st, values.astype("float64").to_numpy(), rng, quantile_sample)
            elif semantic == "datetime":
                present = values.dropna()
                if len(present):
                    st["min"] = min(st.get("min", present.min()), present.min())
                    st["max"] = max(st.get("max", present.max()), present.max())
                    st["count"] = st.get("count", 0) + len(present)
                    stamps = st.setdefault("stamps", set())
                    if stamps is not None:
                        stamps.update(
                            present.astype("int64").tolist()
                            if present.dt.tz is None
                            else present.dt.tz_convert("UTC")
                            .dt.tz_localize(None)
                            .astype("int64")
                            .tolist()
                        )
                        if len(stamps) > 1_000_000:
                            st["stamps"] = None
            else:
                counter = st.setdefault("counter", Counter())
                present = values.dropna()
                st["count"] = st.get("count", 0) + len(present)
                for value, count in present.astype(str).value_counts().items():
                    if value in counter or len(counter) < category_limit:
                        counter[value] += int(count)
                    else:
                        st["approximate"] = True
    result: dict[str, Any] = {}
    for col in columns_info:
        name, semantic = col["name"], col["semantic_type"]
        st = state.get(name, {"nulls": 0})
        stats: dict[str, Any] = {"semantic_type": semantic, "null_count": st["nulls"]}
        if semantic == "numeric":
            stats.update(_finish_numeric(st))
        elif semantic == "datetime":
            stamps = st.get("stamps")
            facts = None
            if stamps and len(stamps) > 1:
                index = pd.DatetimeIndex(np.array(sorted(stamps), dtype="datetime64[ns]"))
                facts = _series_facts(pd.Series(index), None)
            stats.update(
                {
                    "count": st.get("count", 0),
                    "min": json_safe(st.get("min")),
                    "max": json_safe(st.get("max")),
                    "frequency": facts["frequency"] if facts and facts["regular"] else None,
                    "gaps": facts["gaps"] if facts and facts["regular"] else None,
                }
            )
        else:
            counter = st.get("counter", Counter())
            stats.update(
                {
                    "count": st.get("count", 0),
                    "unique": len(counter),
                    "top_values": _top_values(counter),
                }
            )
            if st.get("approximate"):
                stats["approximate"] = True
        result[name] = stats
    return result


def _update_numeric(st: dict[str, Any], values: np.ndarray, rng: Any, keep: int) -> None:
    """Fold one chunk into running count/mean/M2 (Chan et al.), min/max and a bottom-k sample."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return
    n_b, mean_b = len(finite), float(finite.mean())
    m2_b = float(((finite - mean_b) ** 2).sum())
    n_a, mean_a, m2_a = st.get("n", 0), st.get("mean", 0.0), st.get("m2", 0.0)
    n = n_a + n_b
    delta = mean_b - mean_a
    st["n"], st["mean"] = n, mean_a + delta * n_b / n
    st["m2"] = m2_a + m2_b + delta**2 * n_a * n_b / n
    st["min"] = min(st.get("min", math.inf), float(finite.min()))
    st["max"] = max(st.get("max", -math.inf), float(finite.max()))
    # Bottom-k by random key keeps a uniform sample without holding the column.
    keys = np.concatenate([st.get("keys", np.empty(0)), rng.random(n_b)])
    kept = np.concatenate([st.get("sample", np.empty(0)), finite])
    if len(kept) > keep:
        order = np.argpartition(keys, keep)[:keep]
        keys, kept = keys[order], kept[order]
    st["keys"], st["sample"] = keys, kept


def _finish_numeric(st: dict[str, Any]) -> dict[str, Any]:
    n = st.get("n", 0)
    if not n:
        return _numeric_stats(pd.Series(dtype="float64"))
    q = np.quantile(st["sample"], [0.25, 0.5, 0.75]).tolist()
    return {
        "count": int(n),
        "mean": json_safe(st["mean"]),
        "std": json_safe(math.sqrt(st["m2"] / (n - 1))) if n > 1 else None,
        "min": json_safe(st["min"]),
        "p25": json_safe(q[0]),
        "p50": json_safe(q[1]),
        "p75": json_safe(q[2]),
        "max": json_safe(st["max"]),
    }
