"""Validation of a dataset: problems that block training (errors) or weaken it (warnings), plus
the detected time-series facts and target candidates. Django-free.

The checks stream over chunks (`validate_chunks`), so a big file is never held whole: per column
only counts and up to 51 distinct values are kept, per row one 64-bit hash, and only the columns
time-series detection needs (the date columns and the id candidates) are gathered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datasets.coercion import coerce_types, to_datetime
from datasets.columns import column_info, non_numeric_phrase
from datasets.semantics import NULL_TOKENS, date_order, is_integral, present_strings
from datasets.timeseries import detect_time_series, empty_series

_HIGH_MISSING = 30.0
_DISTINCT_KEPT = 51  # enough to tell constant (1), a target (>= 2) and too many levels (> 50)


def complete_info(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """columns_info for the columns of `df`, profiling any column the list does not describe."""
    known = {c["name"]: c for c in columns_info}
    return [
        known.get(str(name)) or column_info(df.iloc[:, i], str(name))
        for i, name in enumerate(df.columns)
    ]


def _target_candidates(
    distinct: dict[str, int], info: list[dict[str, Any]], skip: set[str]
) -> list[str]:
    hinted: list[str] = []
    others: list[str] = []
    hint = re.compile(r"^(target|label|y|class|outcome|price|sales|demand|value|status)$", re.I)
    for col in info:
        name, semantic = col["name"], col["semantic_type"]
        if name in skip or semantic in ("id", "text", "datetime"):
            continue
        count = distinct[name]
        if count < 2:
            continue
        if semantic == "categorical" and count > 50:
            continue
        (hinted if hint.match(name) else others).append(name)
    return hinted + others[::-1]  # the last column is the usual place for a target


def row_keys(chunk: pd.DataFrame) -> list[int]:
    """One 64-bit key per row: numeric columns hashed as one block, the others by pandas."""
    kinds = [isinstance(d, np.dtype) and d.kind in "iufb" for d in chunk.dtypes]
    numeric = [i for i, k in enumerate(kinds) if k]
    other = [i for i, k in enumerate(kinds) if not k]
    parts: list[Any] = []
    if numeric:
        block = np.ascontiguousarray(chunk.iloc[:, numeric].to_numpy(dtype="float64"))
        parts.append([hash(row.tobytes()) for row in block])
    if other:
        rest = chunk.iloc[:, other]
        try:
            hashed = pd.util.hash_pandas_object(rest, index=False)
        except TypeError:
            hashed = pd.util.hash_pandas_object(rest.astype(str), index=False)
        parts.append(hashed.tolist())
    if len(parts) == 1:
        return parts[0]
    return [hash(pair) for pair in zip(*parts, strict=True)]


def count_duplicate_rows(chunks: Iterable[pd.DataFrame]) -> int:
    """Rows equal to an earlier row over a stream of chunks (one hash per row is kept)."""
    seen: set[int] = set()
    duplicates = 0
    for chunk in chunks:
        for key in row_keys(chunk):
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
    return duplicates


@dataclass
class _Tally:
    """What validation keeps of the rows seen so far."""

    info: list[dict[str, Any]]
    time_column: str | None
    rows: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    distinct: dict[str, set[Any]] = field(default_factory=dict)
    # Per date column: present values that are no readable date, and one of them.
    unreadable: dict[str, int] = field(default_factory=dict)
    unreadable_example: dict[str, str] = field(default_factory=dict)
    seen_rows: set[int] = field(default_factory=set)
    duplicates: int = 0
    # Leading rows whose values do not read as their numeric/date columns, and one such value.
    top_misfits: int = 0
    top_example: tuple[str, str] | None = None
    series_parts: dict[str, list[pd.Series]] = field(default_factory=dict)


def _series_columns(info: list[dict[str, Any]], time_column: str | None) -> set[str]:
    """The columns time-series detection reads: the date columns and the possible id columns."""
    if time_column is not None:
        dates = {time_column}
    else:
        dates = {c["name"] for c in info if c.get("semantic_type") == "datetime"}
    if not dates:
        return set()
    ids = {c["name"] for c in info if c.get("semantic_type") in ("categorical", "id", "numeric")}
    return dates | ids


def _date_columns(tally: _Tally, typed: pd.DataFrame) -> list[str]:
    """The columns read as dates: those profiled as datetime, and the time column."""
    names = [c["name"] for c in tally.info if c.get("semantic_type") == "datetime"]
    if tally.time_column is not None and tally.time_column not in names:
        names.append(tally.time_column)
    return [name for name in names if name in typed.columns]


def _fold_dates(tally: _Tally, raw: pd.DataFrame, typed: pd.DataFrame) -> pd.DataFrame:
    """Count the present values of date columns that are no readable date (so they are not
    called missing); `typed` with those values kept as written, for the duplicate-row check."""
    keyed = typed
    for name in _date_columns(tally, typed):
        parsed = typed[name]
        if not pd.api.types.is_datetime64_any_dtype(parsed):
            parsed = to_datetime(raw[name], None)
        text = present_strings(raw[name])
        unread = text[parsed[text.index].isna()]
        if unread.empty:
            continue
        tally.unreadable[name] = tally.unreadable.get(name, 0) + len(unread)
        tally.unreadable_example.setdefault(name, str(unread.iloc[0]))
        if keyed is typed:
            keyed = typed.copy()
        kept = keyed[name].astype(object)
        kept[unread.index] = unread
        keyed[name] = kept
    return keyed


_TOP_ROWS = 5  # title or note lines above a header: at most this many are looked for


def _leading_misfits(tally: _Tally, raw: pd.DataFrame, typed: pd.DataFrame) -> None:
    """Count the leading rows that do not fit their columns: in at least half of the numeric
    and date columns where they hold a value, the value does not read as one (a file that
    starts with a title: its lines become the header and the first rows)."""
    typed_columns = [
        c["name"]
        for c in tally.info
        if c.get("semantic_type") in ("numeric", "datetime") and c["name"] in typed.columns
    ]
    if not typed_columns or len(raw) <= _TOP_ROWS:
        return
    for i in range(_TOP_ROWS):
        held = misfit = 0
        example = None
        for name in typed_columns:
            value = raw[name].iloc[i]
            if pd.isna(value) or (isinstance(value, str) and value.strip().lower() in NULL_TOKENS):
                continue  # missing, not misfit
            held += 1
            if pd.isna(typed[name].iloc[i]):
                misfit += 1
                example = example or (str(value).strip(), name)
        if not held or 2 * misfit < held:
            break
        tally.top_misfits += 1
        tally.top_example = tally.top_example or example


def _fold(tally: _Tally, raw: pd.DataFrame, typed: pd.DataFrame, whole_table: bool) -> None:
    """Add one chunk (raw and typed) to the tally."""
    if tally.rows == 0 and whole_table:
        _leading_misfits(tally, raw, typed)
    tally.rows += len(typed)
    keyed = _fold_dates(tally, raw, typed)
    nulls = keyed.isna().sum()
    for col in tally.info:
        name = col["name"]
        tally.missing[name] = tally.missing.get(name, 0) + int(nulls[name])
        kept = tally.distinct.setdefault(name, set())
        if len(kept) < _DISTINCT_KEPT:
            present = typed[name].dropna()
            try:
                values = present.unique().tolist()
            except TypeError:  # unhashable cells (lists from nested JSON)
                values = present.astype(str).unique().tolist()
            kept.update(values[: _DISTINCT_KEPT - len(kept)])
    if whole_table:
        for key in row_keys(keyed):
            if key in tally.seen_rows:
                tally.duplicates += 1
            else:
                tally.seen_rows.add(key)
    for name, parts in list(tally.series_parts.items()):
        values = typed[name]
        if pd.api.types.is_float_dtype(values) and not is_integral(values.dropna()):
            del tally.series_parts[name]  # a number with a fraction is no series id
        else:
            parts.append(values)


def _series_frame(tally: _Tally) -> pd.DataFrame:
    """The gathered columns for time-series detection."""
    frame = {
        name: pd.concat(parts, ignore_index=True) for name, parts in tally.series_parts.items()
    }
    return pd.DataFrame(frame)


def _column_problems(tally: _Tally, errors: list[str], warnings: list[str]) -> int:
    """Per-column errors and warnings; the number of unusable columns."""
    rows, unusable = tally.rows, 0
    for col in tally.info:
        name = col["name"]
        missing = tally.missing.get(name, 0)
        if rows and missing == rows:
            errors.append(f"Column '{name}' is empty (every value is missing).")
            unusable += 1
            continue
        share = 100.0 * missing / rows if rows else 0.0
        if share > _HIGH_MISSING:
            warnings.append(f"Column '{name}' has {share:.1f}% missing values.")
        if rows > 1 and len(tally.distinct.get(name, ())) == 1:
            warnings.append(f"Column '{name}' has a single value (constant).")
            unusable += 1
        elif col["semantic_type"] == "id":
            unusable += 1
        unread = tally.unreadable.get(name, 0)
        if unread and name != tally.time_column:  # the time column's are told with the series
            example = tally.unreadable_example[name]
            warnings.append(
                f"Column '{name}' has {unread} value(s) that are not readable dates, such as "
                f"'{example}'."
            )
        not_numbers = non_numeric_phrase(col)
        if not_numbers:
            warnings.append(
                f"Column '{name}' has {not_numbers}; "
                f"{'it is' if col['non_numeric_count'] == 1 else 'they are'} read as missing."
            )
        order = _ambiguous_order(col)
        if order:
            warnings.append(order)
        if len((col.get("parse") or {}).get("formats", [])) > 1:
            formats = ", ".join(col["parse"]["formats"])
            warnings.append(f"Column '{name}' mixes date formats ({formats}).")
    return unusable


def _ambiguous_order(col: dict[str, Any]) -> str | None:
    """The warning for a date column whose day/month order is a guess (`datetime_spec` could
    not tell it from the data), or None."""
    spec = col.get("parse") or {}
    if not spec.get("order_ambiguous"):
        return None
    order = date_order(spec) or "month-first"
    other = "day-first" if order == "month-first" else "month-first"
    samples = [str(v) for v in col.get("sample_values") or [] if isinstance(v, str)]
    example = f" such as '{samples[0]}'" if samples else ""
    return (
        f"Column '{col['name']}' has dates{example} that read both day-first and month-first "
        f"(no day is above 12), and neither order makes them more regular; VUR reads them "
        f"{order}. If they are {other}, write them as YYYY-MM-DD and upload the file again."
    )


def _series_problems(
    tally: _Tally, errors: list[str], warnings: list[str], columns: list[str]
) -> dict[str, Any]:
    """Time-column errors and series warnings; the detected series facts."""
    time_column, rows = tally.time_column, tally.rows
    if time_column is not None and time_column not in columns:
        errors.append(f"The time column '{time_column}' is not in the dataset.")
        return empty_series()
    if not rows:
        return empty_series()
    series = detect_time_series(_series_frame(tally), tally.info, time_column=time_column)
    if time_column is not None:
        unread = tally.unreadable.get(time_column, 0)
        missing = tally.missing.get(time_column, 0)
        example = tally.unreadable_example.get(time_column)
        if unread and unread + missing == rows:
            errors.append(
                f"The time column '{time_column}' holds no readable dates (such as '{example}')."
            )
        elif unread:
            warnings.append(
                f"{unread} value(s) of '{time_column}' are not readable dates, such as '{example}'."
            )
        if missing and missing < rows:
            warnings.append(f"{missing} value(s) of '{time_column}' are missing.")
    if series["time_column"]:
        if series["gaps"]:
            warnings.append(
                f"The series has {series['gaps']} missing timestamp(s) (gaps) at frequency "
                f"{series['frequency']}."
            )
        if series["duplicates"]:
            warnings.append(f"{series['duplicates']} timestamp(s) are repeated within a series.")
    return series


def validate_chunks(
    chunks: Iterable[pd.DataFrame],
    columns_info: list[dict[str, Any]],
    *,
    time_column: str | None = None,
    whole_table: bool = True,
) -> dict[str, Any]:
    """Problems that block training (errors) or weaken it (warnings), plus detected facts, over
    a stream of raw chunks (each is coerced to its profiled types here).

    With `whole_table=False` (the chunks hold a page of the columns) the checks that need every
    column (duplicate rows, no usable column) are left to the caller.
    """
    tally: _Tally | None = None
    columns: list[str] = []
    for raw in chunks:
        if tally is None:
            info = complete_info(raw, columns_info)
            columns = [str(c) for c in raw.columns]
            tally = _Tally(info, time_column)
            wanted = _series_columns(info, time_column) & set(columns)
            tally.series_parts = {name: [] for name in columns if name in wanted}
        _fold(tally, raw, coerce_types(raw, tally.info), whole_table)
    if tally is None:
        tally = _Tally([], time_column)
    errors: list[str] = []
    warnings: list[str] = []
    if not columns:
        errors.append("The dataset has no columns.")
    if tally.rows == 0:
        errors.append("The dataset has no rows.")
    unusable = _column_problems(tally, errors, warnings)
    if whole_table and tally.info and tally.rows and unusable == len(tally.info):
        errors.append("No usable columns: every column is empty, constant or an identifier.")
    if whole_table and tally.duplicates:
        warnings.append(f"{tally.duplicates} row(s) are exact duplicates of an earlier row.")
    if tally.top_misfits and tally.top_example:
        value, name = tally.top_example
        warnings.append(
            f"The first {tally.top_misfits} row(s) do not fit their columns (such as '{value}' "
            f"in column '{name}'): the file may start with title or note lines above its "
            "header, which then gave the column names. Remove those lines and upload it again."
        )
    series = _series_problems(tally, errors, warnings, columns)
    skip = {c for c in (series["time_column"], series["id_column"]) if c}
    distinct = {name: len(kept) for name, kept in tally.distinct.items()}
    return {
        "valid": not errors,
        "errors": errors,
        "warnings": warnings,
        "detected": {
            "time_column": series["time_column"],
            "frequency": series["frequency"],
            "target_candidates": _target_candidates(distinct, tally.info, skip)
            if tally.rows
            else [],
            "id_column": series["id_column"],
            "is_time_series": series["is_time_series"],
        },
    }


def validate_frame(
    df: pd.DataFrame,
    columns_info: list[dict[str, Any]],
    *,
    time_column: str | None = None,
    whole_table: bool = True,
) -> dict[str, Any]:
    """`validate_chunks` over one frame."""
    return validate_chunks([df], columns_info, time_column=time_column, whole_table=whole_table)
