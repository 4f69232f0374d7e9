"""Data-quality analysis for the `preprocessing/analyze` answer: missing values, outliers,
duplicate rows and inconsistent formats, each with a severity, plus an overall score.

Severity thresholds (percentage of the analysed rows; of non-null values for outliers/formats):

| issue               | low    | medium  | high    | critical |
|---------------------|--------|---------|---------|----------|
| missing_values      | < 5 %  | < 20 %  | < 50 %  | >= 50 %  |
| duplicates          | < 1 %  | < 5 %   | < 20 %  | >= 20 %  |
| outliers (IQR 1.5)* | < 1 %  | < 5 %   | >= 5 %  | never    |
| inconsistent_format | < 5 %  | < 20 %  | >= 20 % | never    |

*Outliers are values outside the IQR fences of `preprocessing.outliers.fences` (t = 1.5), the
same fences training caps at and the previews count. A time series' value columns are judged
against their trend and seasonal pattern instead (`preprocessing.series.detect_outliers`, the rule
of the series chart and the forecaster): the caller passes those counts as `series_outliers`.

A time series' missing timestamps (steps of its regular grid without a row: gaps) are a
`missing_values` issue of its time column, graded as missing values are (share of the grid's
steps), when the caller passes them as `missing_steps`.

The overall score (0-1, shown as a percentage) weighs four parts: completeness 0.4 (the share of
cells that hold a value, a time series' missing timestamps counted as rows whose every cell is
missing), uniqueness 0.2 (rows that repeat no earlier row), consistency 0.2 (text cells in a
consistent format) and validity 0.2 (numeric values that are no outliers).

A time series' dataset (`time_series=True`) is advised in the terms of what a forecasting
pipeline's preprocessing offers (gap filling by interpolation or forward fill; outliers capped or
redrawn from their neighbours), not a table's (median imputation, a robust scaler).

Numbers stored as text are "medium" when every value is a plain number (only the type is wrong)
and "high" when separators, currency symbols or non-numbers must be cleaned first.

For large datasets the caller passes a sample and the real `total_rows`: counts and percentages
are those of the sample (`sample_rows`), which estimate the whole. Django-free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from datasets.jsonsafe import json_safe
from preprocessing.outliers import fences, outside

__all__ = [
    "ISSUE_TYPES",
    "SEVERITIES",
    "PreprocessingError",
    "analyze_quality",
    "numeric_columns",
    "text_columns",
]

ISSUE_TYPES = ("missing_values", "outliers", "duplicates", "inconsistent_format")
SEVERITIES = ("low", "medium", "high", "critical")
_SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}

# Weights of the overall score's parts; they add up to 1.
_SCORE_WEIGHTS = {"completeness": 0.4, "uniqueness": 0.2, "consistency": 0.2, "validity": 0.2}

_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|[AaPp][Mm])?)?"
_DATE_FORMATS: dict[str, re.Pattern[str]] = {
    name: re.compile(r"^" + pattern + _TIME_SUFFIX + r"$")
    for name, pattern in {
        "YYYY-MM-DD": r"\d{4}-\d{1,2}-\d{1,2}",
        "YYYY/MM/DD": r"\d{4}/\d{1,2}/\d{1,2}",
        "DD/MM/YYYY": r"\d{1,2}/\d{1,2}/\d{2,4}",
        "DD-MM-YYYY": r"\d{1,2}-\d{1,2}-\d{4}",
        "DD.MM.YYYY": r"\d{1,2}\.\d{1,2}\.\d{2,4}",
        "D Month YYYY": r"\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}",
        "Month D, YYYY": r"[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}",
    }.items()
}
# Formats whose first two parts may be day/month or month/day.
_DAY_MONTH_FORMATS = ("DD/MM/YYYY", "DD-MM-YYYY", "DD.MM.YYYY")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_DECORATED_NUMBER = re.compile(
    r"^[+-]?[$€£¥]?\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s*%?\s*[$€£¥]?$"
)
# What a time series' issues advise: what a forecasting pipeline's preprocessing step offers
# (`preprocessing.config.SERIES_OPTIONS`), not a table's imputers and scalers.
_SERIES_FILL_ACTION = (
    "A forecasting pipeline fills its target's missing values by interpolation or forward fill "
    "(its preprocessing step's gap filling)."
)
_SERIES_OUTLIER_ACTION = (
    "Check whether they are errors; a forecasting pipeline's outlier treatment can cap them or "
    "redraw them from their neighbours."
)
_DATE_SHARE = 0.8  # share of values that must look like dates to check the date formats
_NUMBER_SHARE = 0.9  # share of values that must look like numbers to call it "numbers as text"


class PreprocessingError(ValueError):
    """A request the preprocessing code cannot honour (unknown column, bad option, bad values)."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def numeric_columns(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[str]:
    """Names of the numeric, non-boolean columns of `df` (restricted to `columns` if given)."""
    names = list(df.columns) if columns is None else list(columns)
    return [
        c
        for c in names
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]


def text_columns(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[str]:
    """Names of the object/string/category columns of `df` (restricted to `columns` if given)."""
    names = list(df.columns) if columns is None else list(columns)
    return [
        c
        for c in names
        if pd.api.types.is_object_dtype(df[c])
        or pd.api.types.is_string_dtype(df[c])
        or isinstance(df[c].dtype, pd.CategoricalDtype)
    ]


def _pct(count: int, total: int) -> float:
    return round(100.0 * count / total, 2) if total else 0.0


def _grade(pct: float, bounds: tuple[float, ...]) -> str:
    """Map a percentage to a severity: the first bound it is below picks the level."""
    for level, bound in zip(SEVERITIES, bounds, strict=False):
        if pct < bound:
            return level
    return SEVERITIES[min(len(bounds), len(SEVERITIES) - 1)]


def _issue(
    column: str | None,
    issue_type: str,
    severity: str,
    count: int,
    percentage: float,
    description: str,
    action: str,
) -> dict[str, Any]:
    """One entry of the `analyze` answer's issue list."""
    return {
        "column": column,
        "issue_type": issue_type,
        "severity": severity,
        "count": count,
        "percentage": percentage,
        "description": description,
        "suggested_action": action,
    }


def _blank_mask(series: pd.Series) -> pd.Series:
    """True where a text value is an empty or whitespace-only string."""
    if series.dtype == bool or pd.api.types.is_numeric_dtype(series):
        return pd.Series(False, index=series.index)
    return series.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)


def _missing_issue(
    df: pd.DataFrame, column: str, unread: int = 0, time_series: bool = False
) -> dict[str, Any] | None:
    series = df[column]
    blanks = int(_blank_mask(series).sum())
    count = int(series.isna().sum()) + blanks - unread
    if not count:
        return None
    pct = _pct(count, len(df))
    severity = _grade(pct, (5, 20, 50))
    extra = f" (including {blanks} blank string{'s' if blanks != 1 else ''})" if blanks else ""
    if pct >= 50:
        action = "Drop the column or collect more data: imputing would invent most of it."
    elif time_series:
        action = _SERIES_FILL_ACTION
    elif column in numeric_columns(df, [column]):
        action = "Impute with the median, or interpolate / forward-fill for a time series."
    else:
        action = "Impute with the most frequent value or an explicit 'missing' category."
    return _issue(
        column,
        "missing_values",
        severity,
        count,
        pct,
        f"'{column}' has {count} missing value{'s' if count != 1 else ''}{extra}, {pct}% of rows.",
        action,
    )


def _outlier_issue(
    df: pd.DataFrame, column: str, time_series: bool = False
) -> dict[str, Any] | None:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    bounds = fences(values, "iqr")
    if bounds is None:
        return None  # too few values, or mostly one value: every other value would count
    low, high = bounds
    count = int(outside(values, bounds).sum())
    if not count:
        return None
    pct = _pct(count, len(values))
    return _issue(
        column,
        "outliers",
        _grade(pct, (1, 5)),
        count,
        pct,
        (
            f"'{column}' has {count} values outside the IQR fences "
            f"[{low:.4g}, {high:.4g}], {pct}% of its values."
        ),
        _SERIES_OUTLIER_ACTION
        if time_series
        else (
            "Check whether they are errors; cap them to the fences, remove them, or use a "
            "robust scaler."
        ),
    )


def _series_outlier_issue(column: str, flagged: int, judged: int) -> dict[str, Any] | None:
    """The outliers of a time series column, as the series rule counted them."""
    if not flagged or not judged:
        return None
    pct = _pct(flagged, judged)
    return _issue(
        column,
        "outliers",
        _grade(pct, (1, 5)),
        flagged,
        pct,
        (
            f"'{column}' has {flagged} values far from its trend and seasonal pattern, "
            f"{pct}% of its values."
        ),
        _SERIES_OUTLIER_ACTION,
    )


def _gap_issue(column: str, gaps: int, steps: int) -> dict[str, Any] | None:
    """A time series' missing timestamps: steps of its regular grid with no row (`gaps` of
    `steps`), a missing-values issue of its time column."""
    if not gaps or not steps:
        return None
    pct = _pct(gaps, steps)
    one = gaps == 1
    return _issue(
        column,
        "missing_values",
        _grade(pct, (5, 20, 50)),
        gaps,
        pct,
        (
            f"'{column}' is missing {gaps} timestamp{'' if one else 's'} of its regular grid "
            f"(gaps), {pct}% of its {steps} steps."
        ),
        "Add the missing rows to the file, or let a forecasting pipeline fill the gaps "
        "(interpolation or forward fill, its preprocessing step's gap filling).",
    )


def _duplicate_issue(df: pd.DataFrame) -> dict[str, Any] | None:
    if df.empty:
        return None
    try:
        count = int(df.duplicated().sum())
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        count = int(df.astype(str).duplicated().sum())
    if not count:
        return None
    pct = _pct(count, len(df))
    return _issue(
        None,
        "duplicates",
        _grade(pct, (1, 5, 20)),
        count,
        pct,
        f"{count} rows repeat an earlier row exactly, {pct}% of rows.",
        "Drop the duplicate rows (keep the first of each).",
    )


def _date_format(text: str) -> str | None:
    for name, pattern in _DATE_FORMATS.items():
        if pattern.match(text):
            return name
    return None


def _impossible_dates(texts: pd.Series) -> pd.Series:
    """The values shaped like a date that no calendar has (2024-13-45, 31/02/2024): neither a
    month-first nor a day-first reading gives a date."""
    if texts.empty:
        return texts
    month_first = pd.to_datetime(texts, errors="coerce", format="mixed")
    day_first = pd.to_datetime(texts, errors="coerce", format="mixed", dayfirst=True)
    return texts[month_first.isna() & day_first.isna()]


def _date_issue(column: str, texts: pd.Series) -> dict[str, Any] | None | bool:
    """An issue when one column mixes date formats; False when the column is not date-like."""
    formats = texts.map(_date_format)
    matched = formats.notna()
    if matched.mean() < _DATE_SHARE:
        return False
    counts = formats.value_counts()
    dominant = str(counts.index[0])
    found = [f"{name} ({int(n)})" for name, n in counts.items()]
    unparsed = int((~matched).sum())
    ambiguous = 0
    for name in _DAY_MONTH_FORMATS:
        parts = texts[formats == name].str.extract(r"^(\d{1,2})\D(\d{1,2})\D")
        if len(parts):
            first, second = parts[0].astype(int), parts[1].astype(int)
            if (first > 12).any() and (second > 12).any():
                ambiguous += int(min((first > 12).sum(), (second > 12).sum()))
    invalid = _impossible_dates(texts[matched])
    if len(counts) == 1 and not ambiguous and not unparsed and not len(invalid):
        return None
    # A row counts once, whether it is in another format, not a valid date, or both.
    outside = int(((formats != dominant) | formats.index.isin(invalid.index)).sum())
    count = min(len(texts), outside + ambiguous)
    pct = _pct(count, len(texts))
    notes = []
    if len(counts) > 1:
        notes.append(f"mixes date formats: {', '.join(found)}")
    if ambiguous:
        notes.append("mixes day-first and month-first dates")
    if unparsed:
        notes.append(f"has {unparsed} values that are not dates")
    if len(invalid):
        many = len(invalid) > 1
        notes.append(
            f"has {len(invalid)} value{'s' if many else ''} written like a date that "
            f"{'are' if many else 'is'} not a valid date (e.g. {str(invalid.iloc[0])!r})"
        )
    return _issue(
        column,
        "inconsistent_format",
        _grade(pct, (5, 20)),
        count,
        pct,
        f"'{column}' {' and '.join(notes)}.",
        (
            f"Parse every value with one explicit format (most rows use {dominant}) and store "
            "the column as a datetime."
        ),
    )


def _number_text_issue(column: str, texts: pd.Series) -> dict[str, Any] | None | bool:
    """An issue when an object column mostly holds numbers as text; False when it does not."""
    stripped = texts.str.strip()
    plain = stripped.str.match(_PLAIN_NUMBER)
    decorated = ~plain & stripped.str.match(_DECORATED_NUMBER) & stripped.str.contains(r"\d")
    numeric = int(plain.sum() + decorated.sum())
    if numeric / len(texts) < _NUMBER_SHARE:
        return False
    junk = len(texts) - numeric
    n_decorated = int(decorated.sum())
    notes = []
    if n_decorated:
        notes.append(f"{n_decorated} with thousands separators, currency or percent signs")
    if junk:
        examples = ", ".join(repr(v) for v in texts[~(plain | decorated)].unique()[:3])
        notes.append(f"{junk} that are not numbers ({examples})")
    detail = f" ({'; '.join(notes)})" if notes else ""
    pct = _pct(numeric, len(texts))
    return _issue(
        column,
        "inconsistent_format",
        "high" if notes else "medium",
        numeric,
        pct,
        f"'{column}' stores {numeric} numbers as text{detail}.",
        (
            "Strip separators and symbols, turn the non-numbers into missing values, and convert "
            "the column to a numeric type."
        ),
    )


def _variant_issue(column: str, texts: pd.Series) -> dict[str, Any] | None:
    """An issue when case or whitespace variants of one category appear (e.g. 'Male', 'male ')."""
    keys = texts.map(lambda s: " ".join(s.split()).casefold())
    sizes = pd.DataFrame({"key": keys, "raw": texts}).groupby(["key", "raw"]).size()
    count = 0
    examples: list[str] = []
    for _, spellings in sizes.groupby(level="key"):
        if len(spellings) > 1:
            spellings = spellings.sort_values(ascending=False)
            count += int(spellings.sum() - spellings.iloc[0])
            if len(examples) < 3:
                raws = spellings.index.get_level_values("raw")[:3]
                examples.append("/".join(repr(v) for v in raws))
    if not count:
        return None
    pct = _pct(count, len(texts))
    return _issue(
        column,
        "inconsistent_format",
        _grade(pct, (5, 20)),
        count,
        pct,
        (
            f"'{column}' spells the same category in several ways (case or spaces): "
            f"{'; '.join(examples)}."
        ),
        "Trim spaces and normalise the case so each category has one spelling.",
    )


def _format_issue(df: pd.DataFrame, column: str) -> dict[str, Any] | None:
    values = df[column].dropna()
    values = values[~_blank_mask(values)]
    if values.empty:
        return None
    texts = values.astype(str)
    for check in (_date_issue, _number_text_issue):
        issue = check(column, texts)
        if not isinstance(issue, bool):
            return issue  # the column is date-like / number-like: the variant check does not apply
    if not all(isinstance(v, str) for v in values):
        return None
    return _variant_issue(column, texts)


def _unreadable_issue(column: str, written: pd.Series, n_rows: int) -> dict[str, Any]:
    """The values of a date column that were written but do not read as dates: not missing,
    and not what the column will hold (they are read as missing everywhere else)."""
    count = len(written)
    pct = _pct(count, n_rows)
    return _issue(
        column,
        "inconsistent_format",
        _grade(pct, (5, 20)),
        count,
        pct,
        f"'{column}' has {count} values that do not read as dates (e.g. {str(written.iloc[0])!r}),"
        f" {pct}% of rows; they are read as missing.",
        "Correct them in the file and upload it again, or drop those rows.",
    )


def _not_number_issue(column: str, count: int, phrase: str, n_rows: int) -> dict[str, Any]:
    """The values of a numeric column that are written but are no numbers (such as "oops"):
    not missing, and not what the column holds (they are read as missing everywhere else).
    `phrase` names them ("1 value that is not a number ('oops' in row 401)")."""
    pct = _pct(count, n_rows)
    one = count == 1
    return _issue(
        column,
        "inconsistent_format",
        _grade(pct, (5, 20)),
        count,
        pct,
        f"'{column}' has {phrase}, {pct}% of rows; {'it is' if one else 'they are'} read as "
        "missing.",
        f"Correct {'it' if one else 'them'} in the file and upload it again; until then "
        f"{'it is' if one else 'they are'} filled like a missing value.",
    )


def _recommendations(
    issues: list[dict[str, Any]],
    n_rows: int,
    gaps: dict[str, Any] | None = None,
    time_series: bool = False,
) -> list[str]:
    """What to do about `issues` (`gaps`: the missing-timestamps issue among them), in the terms
    of the choices the data's pipelines offer: a forecasting pipeline's for a time series."""
    if not n_rows:
        return ["The dataset has no rows: upload data before preprocessing."]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        if issue is not gaps:
            by_type.setdefault(issue["issue_type"], []).append(issue)
    out: list[str] = []
    if gaps:
        out.append(
            f"Fill the {gaps['count']} missing timestamp(s) of '{gaps['column']}': add the rows "
            "to the file, or let a forecasting pipeline interpolate or forward-fill them."
        )
    missing = by_type.get("missing_values", [])
    if missing:
        worst = max(missing, key=lambda i: i["percentage"])
        how = (
            "a forecasting pipeline fills its target by interpolation or forward fill"
            if time_series
            else "median imputation or interpolation for time series"
        )
        out.append(
            f"Handle missing values in {len(missing)} column(s) (worst: '{worst['column']}', "
            f"{worst['percentage']}% missing); {how}."
        )
        dropped = [i["column"] for i in missing if i["percentage"] >= 50]
        if dropped:
            out.append(f"Consider dropping mostly-empty columns: {', '.join(map(repr, dropped))}.")
    if "duplicates" in by_type:
        out.append(f"Remove {by_type['duplicates'][0]['count']} duplicate rows before training.")
    fmt = by_type.get("inconsistent_format", [])
    if fmt:
        names = ", ".join(repr(i["column"]) for i in fmt)
        out.append(f"Fix inconsistent formats in {names} before encoding or feature generation.")
    outliers = by_type.get("outliers", [])
    if outliers:
        names = ", ".join(repr(i["column"]) for i in outliers)
        if time_series:
            out.append(
                f"Review outliers in {names}; if they are errors, a forecasting pipeline's "
                "outlier treatment can cap them or redraw them from their neighbours."
            )
        else:
            out.append(
                f"Review outliers in {names}; cap them or use a robust scaler if they are errors."
            )
    if not out:
        out.append("No data-quality issues found: the data can go on to feature engineering.")
    return out


def analyze_quality(
    df: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    total_rows: int | None = None,
    unreadable: dict[str, pd.Series] | None = None,
    series_outliers: dict[str, tuple[int, int]] | None = None,
    not_numbers: dict[str, tuple[int, str]] | None = None,
    missing_steps: tuple[str, int, int] | None = None,
    time_series: bool = False,
) -> dict[str, Any]:
    """Find missing values, outliers, duplicate rows and inconsistent formats in `df` (a sample).

    `unreadable` maps a date column to its values as written that did not read as dates (`df`
    holds them as missing): they are reported as a format issue, not as missing values.
    `not_numbers` maps a numeric column to how many of its values in `df` were written but are
    no numbers (`df` holds them as missing) and the phrase naming them: a format issue too.
    `series_outliers` maps a time series' value column to `(flagged, judged)`, the series
    rule's count over the whole series; it replaces the IQR count for that column.
    `missing_steps` is a time series' `(time column, gaps, grid steps)` over the whole series:
    its missing timestamps, an issue of the time column that lowers completeness as rows whose
    every cell is missing would. `time_series` words the advice for a forecasting pipeline.
    Returns the JSON-safe `preprocessing/analyze` answer (without dataset_id and timestamp, which
    the service adds). Duplicates are whole-row duplicates (column None) over all columns.
    """
    unreadable = {k: v for k, v in (unreadable or {}).items() if len(v)}
    not_numbers = {k: v for k, v in (not_numbers or {}).items() if v[0]}
    series_outliers = series_outliers or {}
    if columns is None:
        columns = list(df.columns)
    unknown = [c for c in columns if c not in df.columns]
    if unknown:
        raise PreprocessingError(
            f"Unknown column(s): {', '.join(map(repr, unknown))}.",
            {"columns": f"unknown: {', '.join(map(str, unknown))}"},
        )
    n_rows = len(df)
    issues: list[dict[str, Any]] = []
    format_cells = 0
    outlier_cells = 0
    numeric_cells = 0
    for column in columns:
        written = unreadable.get(column)
        unread = len(written) if written is not None else not_numbers.get(column, (0, ""))[0]
        found = [_missing_issue(df, column, unread, time_series)]
        if written is not None:
            found.append(_unreadable_issue(column, written, n_rows))
        elif column in numeric_columns(df, [column]):
            if column in not_numbers:
                found.append(_not_number_issue(column, *not_numbers[column], n_rows))
            present = int(df[column].notna().sum())
            numeric_cells += present
            if column in series_outliers:
                flagged, judged = series_outliers[column]
                found.append(_series_outlier_issue(column, flagged, judged))
                # the validity score counts the sample's cells: the series' share of them
                outlier_cells += round(present * flagged / judged) if judged else 0
            else:
                found.append(_outlier_issue(df, column, time_series))
        elif column in text_columns(df, [column]):
            found.append(_format_issue(df, column))
        for issue in found:
            if issue is None:
                continue
            issues.append(issue)
            if issue["issue_type"] == "inconsistent_format":
                format_cells += issue["count"]
            elif issue["issue_type"] == "outliers" and column not in series_outliers:
                outlier_cells += issue["count"]
    duplicate = _duplicate_issue(df)
    if duplicate:
        issues.append(duplicate)
    cells = n_rows * len(columns)
    missing_cells = sum(i["count"] for i in issues if i["issue_type"] == "missing_values")
    gaps = _gap_issue(*missing_steps) if missing_steps and n_rows else None
    # A missing timestamp is a row of the grid whose every cell is missing: the cells of the
    # rows there are complete as counted, scaled to their share of the grid.
    gap_share = missing_steps[1] / missing_steps[2] if gaps and missing_steps else 0.0
    if gaps:
        issues.append(gaps)
    issues.sort(key=lambda i: (-_SEVERITY_RANK[i["severity"]], -i["percentage"]))

    filled = 1 - missing_cells / cells if cells else 0.0
    parts = {
        "completeness": filled * (1 - gap_share) if cells else 0.0,
        "uniqueness": 1 - (duplicate["count"] if duplicate else 0) / n_rows if n_rows else 0.0,
        "consistency": 1 - format_cells / cells if cells else 0.0,
        "validity": 1 - outlier_cells / numeric_cells if numeric_cells else 1.0,
    }
    score = sum(_SCORE_WEIGHTS[k] * max(0.0, v) for k, v in parts.items()) if n_rows else 0.0
    report: dict[str, Any] = json_safe(
        {
            "total_rows": int(total_rows) if total_rows is not None else n_rows,
            "total_columns": int(df.shape[1]),
            "sample_rows": n_rows,
            "issues": issues,
            "overall_score": round(min(1.0, max(0.0, score)), 4),
            "score_breakdown": {k: round(v, 4) for k, v in parts.items()},
            "recommendations": _recommendations(issues, n_rows, gaps, time_series),
        }
    )
    return report
