"""Validation of a dataset: problems that block training (errors) or weaken it (warnings), plus
the detected time-series facts and target candidates. Django-free.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from datasets.coercion import coerce_types, to_datetime
from datasets.columns import column_info, safe_nunique
from datasets.timeseries import detect_time_series, empty_series

_HIGH_MISSING = 30.0


def complete_info(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """columns_info for the columns of `df`, profiling any column the list does not describe."""
    known = {c["name"]: c for c in columns_info}
    return [
        known.get(str(name)) or column_info(df.iloc[:, i], str(name))
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
        count = safe_nunique(values)
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
    info = complete_info(df, columns_info)
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
        if rows > 1 and safe_nunique(values) == 1:
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
    series = empty_series()
    if time_column is not None and time_column not in typed.columns:
        errors.append(f"The time column '{time_column}' is not in the dataset.")
    elif rows:
        series = detect_time_series(typed, info, time_column=time_column)
        if time_column is not None:
            parsed = typed[time_column]
            if not pd.api.types.is_datetime64_any_dtype(parsed):
                parsed = to_datetime(df[time_column], None)
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
