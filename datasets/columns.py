"""Column profiles of a frame or a stream of chunks: dtype, semantic type, null and unique
counts, sample values. Django-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from datasets.coercion import unread_numbers
from datasets.jsonsafe import json_safe
from datasets.semantics import infer_column, infer_numeric


def numeric_arrays(frame: pd.DataFrame) -> dict[int, np.ndarray]:
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
    """column_info for an int/float column, in numpy (a 20,000-column table has 20,000)."""
    missing = np.isnan(raw) if raw.dtype.kind == "f" else np.zeros(len(raw), dtype=bool)
    kept = raw[~missing]
    nulls = int(missing.sum())
    base = total if total else len(raw)
    semantic = infer_numeric(kept, name, dtype) if kept.size else "numeric"
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


def column_info(values: pd.Series, name: str, total: int | None = None) -> dict[str, Any]:
    """The profile of one column (dtype, semantic type, null and unique counts, samples)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        return _numeric_column_info(values.to_numpy(), values.dtype, name, total)
    semantic, spec = infer_column(values, name)
    rows = len(values)
    nulls = int(values.isna().sum())
    base = total if total else rows
    info: dict[str, Any] = {
        "name": name,
        "dtype": str(values.dtype),
        "semantic_type": semantic,
        "null_count": nulls,
        "null_percentage": round(100.0 * nulls / base, 2) if base else 0.0,
        "unique_count": int(safe_nunique(values)),
        "sample_values": _sample_values(values),
    }
    if spec is not None:
        info["parse"] = spec
    return info


def text_number_columns(columns_info: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The numeric columns the file holds as text (read with their parse spec): the only ones
    where a value can fail to read as a number."""
    return [
        c
        for c in columns_info
        if c.get("semantic_type") == "numeric"
        and not str(c.get("dtype", "")).startswith(("int", "uint", "float", "bool", "Int", "UInt"))
    ]


def count_non_numeric(
    chunks: Iterable[pd.DataFrame], columns_info: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`columns_info` with, on each numeric column, `non_numeric_count` (values written that
    are not numbers, such as "oops"; they are read as missing) and `non_numeric_example` (the
    first: `{"value", "row"}`, row counted from 1 among the data rows) or None.

    `chunks` stream the file's text numeric columns (`text_number_columns`) in order."""
    textual = {c["name"]: c for c in text_number_columns(columns_info)}
    counts = dict.fromkeys(textual, 0)
    first: dict[str, dict[str, Any]] = {}
    offset = 0
    for chunk in chunks:
        for name, info in textual.items():
            if name not in chunk.columns:
                continue
            values = chunk[name]
            if isinstance(values, pd.DataFrame):  # duplicated names: the first one
                values = values.iloc[:, 0]
            bad = unread_numbers(values.reset_index(drop=True), info.get("parse"))
            counts[name] += len(bad)
            if len(bad) and name not in first:
                first[name] = {"value": str(bad.iloc[0]), "row": offset + int(bad.index[0]) + 1}
        offset += len(chunk)
    out = []
    for info in columns_info:
        if info.get("semantic_type") == "numeric":
            name = info["name"]
            info = {
                **info,
                "non_numeric_count": counts.get(name, 0),
                "non_numeric_example": first.get(name),
            }
        out.append(info)
    return out


def non_numeric_phrase(info: dict[str, Any] | None) -> str:
    """What a numeric column's profile says of its values that are not numbers, for people:
    "1 value that is not a number ('oops' in row 401)"; "" when it counted none."""
    count = int((info or {}).get("non_numeric_count") or 0)
    if not count:
        return ""
    example = (info or {}).get("non_numeric_example") or {}
    where = f"{example['value']!r} in row {example['row']:,}" if example else ""
    if count == 1:
        return (
            f"1 value that is not a number ({where})" if where else "1 value that is not a number"
        )
    first = f" (the first: {where})" if where else ""
    return f"{count:,} values that are not numbers{first}"


DECIMAL_COMMA = {"decimal": ",", "thousands": None}


def with_file_decimal(columns_info: list[dict[str, Any]], decimal: str) -> list[dict[str, Any]]:
    """`columns_info` of a file the reader read with the decimal mark `decimal` (a file-level
    option, so pandas hands over numbers and no column sees the text): with a decimal comma each
    numeric column without a parse spec of its own gets one saying so, so text read later in
    the column's name (requests to a model, feedback) reads 13,28 as the file did."""
    if decimal != ",":
        return columns_info
    return [
        {**info, "parse": dict(DECIMAL_COMMA)}
        if info.get("semantic_type") == "numeric" and not info.get("parse")
        else info
        for info in columns_info
    ]


def safe_nunique(values: pd.Series) -> int:
    """Distinct non-null values, counting unhashable cells by their text."""
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
    arrays = numeric_arrays(df)
    dtypes = list(df.dtypes)
    columns_info = [
        _numeric_column_info(arrays[i], dtypes[i], str(c), None)
        if i in arrays
        else column_info(df.iloc[:, i], str(c))
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
    uniques: dict[str, set[Any]] = {}
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
    uniques: dict[str, set[Any]],
    capped: set[str],
    unique_limit: int,
) -> None:
    """Fold one chunk (same columns as the first) into the counts, numeric columns in numpy."""
    null_counts = chunk.isna().sum().to_numpy()
    chunk_dtypes = [str(d) for d in chunk.dtypes]
    arrays = numeric_arrays(chunk)
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


# A whole-number target with this many distinct values or fewer reads as class codes (0/1, 1/2/3).
_MAX_CODED_CLASSES = 10


def target_refusal(info: dict[str, Any], rows: int) -> str:
    """Why this column (its profile, in a table of `rows` rows) cannot be a model's target, or
    "": one without a value, or one holding the same value in each of several rows, leaves
    nothing to learn or forecast (a table of one row is refused as too small when trained)."""
    distinct = info.get("unique_count")
    if not isinstance(distinct, int) or distinct >= 2 or (distinct == 1 and rows < 2):
        return ""
    name = info.get("name")
    if distinct == 0:
        return f"'{name}' has no values, so there is nothing to learn: choose another target."
    sample = (info.get("sample_values") or [None])[0]
    value = f" ({sample})" if sample is not None else ""
    rows_with = "in every row that has one" if info.get("null_count") else "in every row"
    return (
        f"'{name}' holds the same value{value} {rows_with}, so there is nothing to learn or "
        "forecast: choose a column whose values vary."
    )


def problem_refusal(info: dict[str, Any], problem_type: str, rows: int) -> str:
    """Why this column (its profile, in a table of `rows` rows) cannot be the target of
    `problem_type`, or "": regression needs numbers, and classification a number of distinct
    values that can be classes (at most half the rows, or 100). What the run would refuse
    anyway, told before a pipeline is saved."""
    name = info.get("name")
    if problem_type == "regression":
        dtype = str(info.get("dtype", ""))
        numbers = dtype.lower().startswith(("int", "uint", "float", "bool"))
        if not numbers and info.get("semantic_type") != "numeric":
            sample = (info.get("sample_values") or [None])[0]
            such = f" such as '{sample}'" if sample is not None else ""
            return (
                f"A regression target must be numeric, and '{name}' holds text{such}: "
                "choose classification to predict it as a category."
            )
    if problem_type == "classification":
        distinct = info.get("unique_count")
        if isinstance(distinct, int) and distinct > max(100, rows // 2):
            return (
                f"'{name}' has {distinct:,} distinct values in {rows:,} rows, too many to be "
                "classes: choose regression to predict it as a number."
            )
    return ""


def suggested_problem_type(info: dict[str, Any], rows: int) -> str:
    """What a model predicting this column (of a table of `rows` rows) most likely is:
    "classification" for booleans, categories and a few whole-number codes that repeat (each
    on five rows or more on average), "regression" for other numbers, "" for a column that is
    no target (dates, ids, free text)."""
    semantic = info.get("semantic_type")
    if semantic in ("boolean", "categorical"):
        return "classification"
    if semantic != "numeric":
        return ""
    whole = str(info.get("dtype", "")).startswith(("int", "uint", "Int", "UInt"))
    distinct = int(info.get("unique_count") or 0)
    if whole and 2 <= distinct <= _MAX_CODED_CLASSES and distinct * 5 <= rows:
        return "classification"
    return "regression"
