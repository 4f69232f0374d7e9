"""Preprocessing previews: what missing-value, outlier, transformation and whole-config steps would
do to a dataset (the `preprocessing/*` answers), without touching the caller's frame.

Every preview returns a PreprocessingResult dict:
`{original_shape, processed_shape, changes_summary, quality_improvement, processing_time, warnings,
preview: {columns, rows}}`. `changes_summary` is a dict keyed by column (`"*"` for row-level
changes such as dropped rows) whose values are `{action, count, detail}`; several steps on one
column are merged (actions joined with ", ", details with "; ").
`quality_improvement` is the change in `analyze_quality(...)["overall_score"]` (after - before).

A preview fits its statistics (medians, fences, scalers, encoders) on the frame it is given: it is
a look at the data, not training. The training pipeline fits the same steps on training rows only.
Django-free.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)
from sklearn.utils.multiclass import type_of_target

from preprocessing.analysis import (
    PreprocessingError,
    analyze_quality,
    json_safe,
    numeric_columns,
    text_columns,
)

__all__ = [
    "PREPROCESSING_OPTIONS",
    "PreprocessingError",
    "preview_config",
    "preview_missing_values",
    "preview_outliers",
    "preview_transformations",
    "validate_config",
]

PREVIEW_ROWS = 20
_ONEHOT_MAX_CATEGORIES = 20
# Isolation Forest's "auto" contamination flags about a quarter of a normal column, so the
# default asks for the 1 % most isolated values instead.
_DEFAULT_THRESHOLDS = {"iqr": 1.5, "zscore": 3.0, "isolation_forest": 0.01}

MISSING_STRATEGIES = {
    "none": "Leave missing values as they are.",
    "drop": "Drop every row that has a missing value in the chosen columns.",
    "mean": "Fill numeric columns with their mean (numeric columns only).",
    "median": "Fill numeric columns with their median, robust to outliers (numeric columns only).",
    "mode": "Fill each column with its most frequent value (any column type).",
    "interpolate": "Fill numeric gaps by linear interpolation between neighbouring rows.",
    "forward_fill": "Carry the last seen value forward (time series); leading gaps stay missing.",
}
OUTLIER_METHODS = {
    "none": "Do not look for outliers.",
    "iqr": "Outside [Q1 - t*IQR, Q3 + t*IQR], t = threshold (default 1.5).",
    "zscore": "More than t standard deviations from the mean, t = threshold (default 3).",
    "isolation_forest": (
        "Flagged by a per-column Isolation Forest; threshold = contamination in (0, 0.5] "
        "(default 0.01)."
    ),
}
OUTLIER_TREATMENTS = {
    "none": "Only count outliers.",
    "remove": "Drop the rows that hold an outlier in any chosen column.",
    "cap": "Clip values to the method's bounds (winsorise).",
    "transform": "Compress the column with a signed log, sign(x) * log(1 + |x|).",
}
SCALING_METHODS = {
    "none": "Keep numeric columns on their own scale.",
    "standard": "Subtract the mean and divide by the standard deviation.",
    "minmax": "Rescale to the range [0, 1].",
    "robust": "Subtract the median and divide by the IQR (robust to outliers).",
}
CATEGORICAL_ENCODINGS = {
    "none": "Leave categorical columns as text.",
    "onehot": f"One 0/1 column per category (rare ones grouped past {_ONEHOT_MAX_CATEGORIES}).",
    "ordinal": "One integer code per category.",
    "target": "Replace each category by the (cross-fitted) mean target for that category.",
}
TRANSFORMATION_TYPES = {
    "log": "Natural log; the values must be positive.",
    "sqrt": "Square root; the values must not be negative.",
    "box_cox": "Box-Cox power transform (lambda fitted); the values must be positive.",
    "yeo_johnson": "Yeo-Johnson power transform (lambda fitted); any real values.",
    "difference": "Difference with the previous row, x[t] - x[t-1]; the first row becomes missing.",
    "standardize": "Subtract the mean and divide by the standard deviation.",
    "minmax": "Rescale to the range [0, 1].",
}

PREPROCESSING_OPTIONS: dict[str, dict[str, Any]] = {
    "missing_values_strategy": {
        "description": "How missing values are handled.",
        "default": "median",
        "choices": MISSING_STRATEGIES,
    },
    "outlier_detection_method": {
        "description": "How outliers are found in numeric columns.",
        "default": "iqr",
        "choices": OUTLIER_METHODS,
    },
    "outlier_treatment": {
        "description": "What happens to the outliers found.",
        "default": "none",
        "choices": OUTLIER_TREATMENTS,
    },
    "outlier_threshold": {
        "description": "IQR multiplier, z-score limit, or Isolation Forest contamination.",
        "default": None,
        "type": "float",
    },
    "scaling_method": {
        "description": "How numeric feature columns are scaled (never the target).",
        "default": "standard",
        "choices": SCALING_METHODS,
    },
    "categorical_encoding": {
        "description": "How text/category feature columns become numbers (never the target).",
        "default": "onehot",
        "choices": CATEGORICAL_ENCODINGS,
    },
    "transformations": {
        "description": "Per-column transforms, a list of {column, type}, applied in order.",
        "default": [],
        "type": "list",
        "choices": TRANSFORMATION_TYPES,
    },
    "custom_rules": {
        "description": "Free-form rules kept with the config; not applied by the preview.",
        "default": None,
        "type": "object",
    },
}
_CHOICE_KEYS = {
    "missing_values_strategy": MISSING_STRATEGIES,
    "outlier_detection_method": OUTLIER_METHODS,
    "outlier_treatment": OUTLIER_TREATMENTS,
    "scaling_method": SCALING_METHODS,
    "categorical_encoding": CATEGORICAL_ENCODINGS,
}

_Summary = dict[str, dict[str, Any]]


def _record(summary: _Summary, column: str, action: str, count: int, detail: str) -> None:
    """Add one step to the per-column changes summary, merging with earlier steps."""
    entry = summary.get(column)
    if entry is None:
        summary[column] = {"action": action, "count": int(count), "detail": detail}
    else:
        entry["action"] = f"{entry['action']}, {action}"
        entry["count"] = max(entry["count"], int(count))
        entry["detail"] = f"{entry['detail']}; {detail}"


def _check_columns(df: pd.DataFrame, columns: list[str] | None) -> list[str]:
    if columns is None:
        return list(df.columns)
    if isinstance(columns, str) or not isinstance(columns, list | tuple):
        raise PreprocessingError("columns must be a list of column names.")
    unknown = [c for c in columns if c not in df.columns]
    if unknown:
        raise PreprocessingError(
            f"Unknown column(s): {', '.join(map(repr, unknown))}.",
            {"columns": f"unknown: {', '.join(map(str, unknown))}"},
        )
    return list(columns)


def _result(
    original: pd.DataFrame,
    processed: pd.DataFrame,
    summary: _Summary,
    warnings: list[str],
    started: float,
    **extra: Any,
) -> dict[str, Any]:
    """Assemble the JSON-safe PreprocessingResult."""
    before = analyze_quality(original)["overall_score"]
    after = analyze_quality(processed)["overall_score"]
    head = processed.head(PREVIEW_ROWS)
    out = {
        "original_shape": list(original.shape),
        "processed_shape": list(processed.shape),
        "changes_summary": summary,
        "quality_improvement": round(after - before, 4),
        "processing_time": round(time.perf_counter() - started, 4),
        "warnings": warnings,
        "preview": {
            "columns": [str(c) for c in head.columns],
            "rows": [list(row) for row in head.itertuples(index=False, name=None)],
        },
        **extra,
    }
    return json_safe(out)


# --- missing values -------------------------------------------------------------------------


def _blanks_to_nan(df: pd.DataFrame, columns: list[str], warnings: list[str]) -> None:
    for column in text_columns(df, columns):
        blank = df[column].map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
        if blank.any():
            df[column] = df[column].mask(blank)
            warnings.append(f"'{column}': {int(blank.sum())} blank strings treated as missing.")


def _apply_missing(
    df: pd.DataFrame, strategy: str, columns: list[str], warnings: list[str], summary: _Summary
) -> pd.DataFrame:
    """Apply one missing-value strategy to `columns` of `df` (a private copy) and return it."""
    if strategy not in MISSING_STRATEGIES:
        raise PreprocessingError(
            f"Unknown missing-value strategy {strategy!r}; use one of {list(MISSING_STRATEGIES)}.",
            {"strategy": f"must be one of {list(MISSING_STRATEGIES)}"},
        )
    if strategy == "none":
        return df
    _blanks_to_nan(df, columns, warnings)
    if strategy == "drop":
        keep = df[columns].notna().all(axis=1)
        dropped = int((~keep).sum())
        _record(summary, "*", "drop", dropped, f"dropped {dropped} rows with missing values")
        return df[keep]
    numeric = set(numeric_columns(df, columns))
    for column in columns:
        series = df[column]
        missing = int(series.isna().sum())
        if not missing:
            continue
        if strategy in ("mean", "median", "interpolate"):
            if column not in numeric:
                warnings.append(
                    f"'{column}' is not numeric: {strategy} does not apply, left as is."
                )
                continue
            series = series.astype(float)  # an integer column cannot hold a fractional fill
        if strategy in ("mean", "median", "mode"):
            if series.notna().sum() == 0:
                warnings.append(f"'{column}' has no values at all: nothing to fill it with.")
                continue
            if strategy == "mode":
                value = series.mode(dropna=True).iloc[0]
            else:
                value = getattr(series, strategy)()
            df[column] = series.fillna(value)
            detail = f"filled {missing} missing values with the {strategy} {json_safe(value)!r}"
        elif strategy == "interpolate":
            df[column] = series.interpolate(method="linear", limit_direction="both")
            detail = f"interpolated {missing} missing values linearly"
        else:
            df[column] = series.ffill()
            detail = f"forward-filled {missing} missing values"
        left = int(df[column].isna().sum())
        if left:
            warnings.append(f"'{column}': {left} leading missing values could not be filled.")
        _record(summary, column, strategy, missing - left, detail)
    return df


def preview_missing_values(
    df: pd.DataFrame, *, strategy: str, columns: list[str] | None = None
) -> dict[str, Any]:
    """Preview a missing-value strategy on `columns` (all by default); `df` is not changed.

    mean/median/interpolate apply to numeric columns only (others are listed in warnings).
    """
    started = time.perf_counter()
    columns = _check_columns(df, columns)
    warnings: list[str] = []
    summary: _Summary = {}
    processed = _apply_missing(df.copy(), strategy, columns, warnings, summary)
    if not summary and not warnings:
        warnings.append("No missing values in the chosen columns.")
    return _result(df, processed, summary, warnings, started)


# --- outliers -------------------------------------------------------------------------------


def _check_threshold(method: str, threshold: float | None) -> float | None:
    if threshold is None:
        return _DEFAULT_THRESHOLDS[method]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise PreprocessingError("threshold must be a number.", {"threshold": "must be a number"})
    if not math.isfinite(threshold) or threshold <= 0:
        raise PreprocessingError(
            "threshold must be a positive number.", {"threshold": "must be positive"}
        )
    if method == "isolation_forest" and threshold > 0.5:
        raise PreprocessingError(
            "For isolation_forest the threshold is the contamination, in (0, 0.5].",
            {"threshold": "must be in (0, 0.5] for isolation_forest"},
        )
    return float(threshold)


def _outlier_bounds(
    values: pd.Series, method: str, threshold: float | None
) -> tuple[pd.Series, float, float] | None:
    """Outlier mask over `values` (non-null) and the [low, high] bounds used to cap them."""
    if len(values) < 4 or values.nunique() < 3:
        return None
    if method == "iqr":
        q1, q3 = values.quantile([0.25, 0.75])
        low, high = q1 - threshold * (q3 - q1), q3 + threshold * (q3 - q1)
        return (values < low) | (values > high), float(low), float(high)
    if method == "zscore":
        mean, std = values.mean(), values.std(ddof=0)
        if not std:
            return None
        low, high = mean - threshold * std, mean + threshold * std
        return (values < low) | (values > high), float(low), float(high)
    forest = IsolationForest(
        n_estimators=100,
        contamination=threshold,
        random_state=0,
        n_jobs=1,
    )
    flagged = pd.Series(forest.fit_predict(values.to_frame()) == -1, index=values.index)
    inliers = values[~flagged]
    if inliers.empty:
        return None
    return flagged, float(inliers.min()), float(inliers.max())


def _apply_outliers(
    df: pd.DataFrame,
    method: str,
    treatment: str,
    columns: list[str],
    threshold: float | None,
    warnings: list[str],
    summary: _Summary,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Detect outliers per numeric column of `columns` and treat them; return frame and counts."""
    if method not in OUTLIER_METHODS:
        raise PreprocessingError(
            f"Unknown outlier method {method!r}; use one of {list(OUTLIER_METHODS)}.",
            {"method": f"must be one of {list(OUTLIER_METHODS)}"},
        )
    if treatment not in OUTLIER_TREATMENTS:
        raise PreprocessingError(
            f"Unknown outlier treatment {treatment!r}; use one of {list(OUTLIER_TREATMENTS)}.",
            {"treatment": f"must be one of {list(OUTLIER_TREATMENTS)}"},
        )
    if method == "none":
        return df, {}
    threshold = _check_threshold(method, threshold)
    numeric = numeric_columns(df, columns)
    skipped = [c for c in columns if c not in numeric]
    if skipped:
        warnings.append(f"Not numeric, skipped for outliers: {', '.join(map(repr, skipped))}.")
    counts: dict[str, int] = {}
    drop = pd.Series(False, index=df.index)
    for column in numeric:
        values = df[column].dropna().astype(float)
        found = _outlier_bounds(values[np.isfinite(values)], method, threshold)
        if found is None:
            counts[column] = 0
            continue
        mask, low, high = found
        counts[column] = int(mask.sum())
        if not counts[column] or treatment == "none":
            continue
        if treatment == "remove":
            drop |= mask.reindex(df.index, fill_value=False)
        elif treatment == "cap":
            df[column] = df[column].astype(float).clip(lower=low, upper=high)
            _record(
                summary,
                column,
                "cap",
                counts[column],
                f"capped {counts[column]} outliers to [{low:.6g}, {high:.6g}]",
            )
        else:
            values = df[column].astype(float)
            df[column] = np.sign(values) * np.log1p(values.abs())
            _record(
                summary,
                column,
                "transform",
                counts[column],
                f"signed log applied ({counts[column]} outliers)",
            )
    if treatment == "remove":
        removed = int(drop.sum())
        _record(summary, "*", "remove", removed, f"removed {removed} rows holding outliers")
        df = df[~drop]
    return df, counts


def preview_outliers(
    df: pd.DataFrame,
    *,
    method: str,
    treatment: str,
    columns: list[str] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Preview outlier detection and treatment on numeric `columns` (all numeric by default).

    Adds `outliers: {column: count}` to the result; `df` is not changed.
    """
    started = time.perf_counter()
    columns = _check_columns(df, columns)
    warnings: list[str] = []
    summary: _Summary = {}
    processed, counts = _apply_outliers(
        df.copy(), method, treatment, columns, threshold, warnings, summary
    )
    return _result(df, processed, summary, warnings, started, outliers=counts)


# --- transformations ------------------------------------------------------------------------


def _transform_column(series: pd.Series, column: str, kind: str) -> tuple[pd.Series, str]:
    """Apply one transformation to a numeric series; raise PreprocessingError when it cannot."""
    values = series.astype(float)
    present = values.dropna()
    if kind in ("log", "box_cox") and (present <= 0).any():
        raise PreprocessingError(
            f"Column '{column}' has zero or negative values: {kind} needs positive values.",
            {column: f"{kind} needs positive values"},
        )
    if kind == "sqrt" and (present < 0).any():
        raise PreprocessingError(
            f"Column '{column}' has negative values: sqrt needs values >= 0.",
            {column: "sqrt needs values >= 0"},
        )
    if kind in ("box_cox", "yeo_johnson") and (len(present) < 2 or present.nunique() < 2):
        raise PreprocessingError(
            f"Column '{column}' is constant: {kind} cannot fit a lambda.",
            {column: f"{kind} needs at least two different values"},
        )
    out = values.copy()
    if kind == "log":
        return np.log(values), "natural log"
    if kind == "sqrt":
        return np.sqrt(values), "square root"
    if kind == "box_cox":
        fitted, lam = stats.boxcox(present.to_numpy())
        out.loc[present.index] = fitted
        return out, f"Box-Cox, lambda={lam:.4g}"
    if kind == "yeo_johnson":
        fitted, lam = stats.yeojohnson(present.to_numpy())
        out.loc[present.index] = fitted
        return out, f"Yeo-Johnson, lambda={lam:.4g}"
    if kind == "difference":
        return values.diff(), "difference with the previous row"
    if kind == "standardize":
        std = present.std(ddof=0)
        mean = present.mean()
        return (values - mean) / (std or 1.0), f"standardised (mean={mean:.4g}, std={std:.4g})"
    low, high = present.min(), present.max()
    return (values - low) / ((high - low) or 1.0), f"min-max scaled from [{low:.4g}, {high:.4g}]"


def _apply_transformations(
    df: pd.DataFrame, transformations: list[dict[str, Any]], warnings: list[str], summary: _Summary
) -> pd.DataFrame:
    """Apply each {column, type} in order to `df` (a private copy)."""
    if not isinstance(transformations, list | tuple):
        raise PreprocessingError("transformations must be a list of {column, type}.")
    for i, step in enumerate(transformations):
        if not isinstance(step, dict) or "column" not in step or "type" not in step:
            raise PreprocessingError(f"transformations[{i}] must be an object {{column, type}}.")
        column, kind = step["column"], step["type"]
        if kind not in TRANSFORMATION_TYPES:
            raise PreprocessingError(
                f"Unknown transformation {kind!r} for column '{column}'; "
                f"use one of {list(TRANSFORMATION_TYPES)}.",
                {str(column): f"unknown transformation {kind!r}"},
            )
        if column not in df.columns:
            raise PreprocessingError(
                f"Unknown column '{column}' in transformations.",
                {str(column): "unknown column"},
            )
        if column not in numeric_columns(df, [column]):
            raise PreprocessingError(
                f"Column '{column}' is not numeric: {kind} needs numbers.",
                {str(column): f"{kind} needs a numeric column"},
            )
        df[column], detail = _transform_column(df[column], column, kind)
        if kind == "difference":
            warnings.append(f"'{column}': differencing leaves the first row missing.")
        _record(summary, column, kind, int(df[column].notna().sum()), detail)
    return df


def preview_transformations(
    df: pd.DataFrame, *, transformations: list[dict[str, Any]]
) -> dict[str, Any]:
    """Preview a list of {column, type} transformations, applied in order; `df` is not changed.

    Raises PreprocessingError naming the column for unknown columns/types, non-numeric columns,
    and values outside the transform's domain (log/box_cox need > 0, sqrt needs >= 0).
    """
    started = time.perf_counter()
    warnings: list[str] = []
    summary: _Summary = {}
    processed = _apply_transformations(df.copy(), transformations, warnings, summary)
    return _result(df, processed, summary, warnings, started)


# --- whole config ---------------------------------------------------------------------------


def validate_config(config: dict[str, Any]) -> dict[str, str]:
    """Per-key error messages for a preprocessing config (unknown keys, bad values); {} if valid."""
    if not isinstance(config, dict):
        return {"config": "must be an object"}
    errors: dict[str, str] = {}
    for key, value in config.items():
        if key not in PREPROCESSING_OPTIONS:
            errors[key] = f"unknown option; known: {', '.join(PREPROCESSING_OPTIONS)}"
        elif key in _CHOICE_KEYS and value not in _CHOICE_KEYS[key]:
            errors[key] = f"must be one of {list(_CHOICE_KEYS[key])}"
    threshold = config.get("outlier_threshold")
    if threshold is not None and "outlier_threshold" not in errors:
        method = config.get("outlier_detection_method", "iqr")
        try:
            _check_threshold(method if method in _DEFAULT_THRESHOLDS else "iqr", threshold)
        except PreprocessingError as exc:
            errors["outlier_threshold"] = str(exc)
    if config.get("outlier_treatment", "none") != "none" and (
        config.get("outlier_detection_method") == "none"
    ):
        errors.setdefault("outlier_treatment", "needs an outlier_detection_method other than none")
    steps = config.get("transformations", [])
    if steps is not None and "transformations" not in errors:
        if not isinstance(steps, list):
            errors["transformations"] = "must be a list of {column, type}"
        else:
            for i, step in enumerate(steps):
                if not isinstance(step, dict) or not isinstance(step.get("column"), str):
                    errors["transformations"] = f"item {i} must be an object {{column, type}}"
                    break
                if step.get("type") not in TRANSFORMATION_TYPES:
                    errors["transformations"] = (
                        f"item {i}: type must be one of {list(TRANSFORMATION_TYPES)}"
                    )
                    break
    return errors


def _target_folds(y: pd.Series) -> KFold | StratifiedKFold | None:
    """Seeded folds for TargetEncoder's cross-fitting, or None when `y` is too small to split."""
    if len(y) < 4:
        return None
    if type_of_target(y) in ("binary", "multiclass"):
        smallest = int(y.value_counts().min())
        if smallest < 2:
            return None
        return StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=0)
    return KFold(n_splits=min(5, len(y) // 2), shuffle=True, random_state=0)


def _encode(
    df: pd.DataFrame,
    encoding: str,
    columns: list[str],
    target: str | None,
    warnings: list[str],
    summary: _Summary,
) -> pd.DataFrame:
    """Encode the text/category `columns` of `df` with `encoding`."""
    if not columns or encoding == "none":
        return df
    if encoding == "target" and (target is None or _target_folds(df[target].dropna()) is None):
        warnings.append(
            "Target encoding needs a target with at least two rows per class: "
            "used ordinal encoding instead."
        )
        encoding = "ordinal"
    data = df[columns].astype(object).where(df[columns].notna(), "__missing__").astype(str)
    if encoding == "onehot":
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=_ONEHOT_MAX_CATEGORIES,
            sparse_output=False,
        )
        encoded = encoder.fit_transform(data)
        names = list(encoder.get_feature_names_out(columns))
    elif encoding == "ordinal":
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        encoded = encoder.fit_transform(data)
        names = list(columns)
    else:
        known = df[target].notna().to_numpy()
        y = df[target][known]
        encoder = TargetEncoder(cv=_target_folds(y))
        # Cross-fitting on the known rows keeps each row's own target out of its encoding.
        fitted = encoder.fit_transform(data[known], y)
        encoded = np.empty((len(df), fitted.shape[1]))
        encoded[known] = fitted
        if (~known).any():
            encoded[~known] = encoder.transform(data[~known])
        names = list(encoder.get_feature_names_out(columns))
    for column in columns:
        produced = [n for n in names if n == column or n.startswith(f"{column}_")]
        _record(
            summary,
            column,
            f"{encoding} encoding",
            int(df[column].nunique()),
            f"{encoding}-encoded {df[column].nunique()} categories into {len(produced)} column(s)",
        )
    encoded_frame = pd.DataFrame(encoded, columns=names, index=df.index)
    rest = df.drop(columns=columns)
    return pd.concat([rest, encoded_frame], axis=1)


def preview_config(
    df: pd.DataFrame, *, config: dict[str, Any], target: str | None = None
) -> dict[str, Any]:
    """Preview a whole preprocessing config (the `preprocessing/apply` answer); `df` is unchanged.

    Order: missing values -> outliers -> transformations -> scaling -> encoding. The target column
    is left out of every step; rows with a missing target are only reported in warnings.
    """
    started = time.perf_counter()
    errors = validate_config(config)
    if errors:
        raise PreprocessingError("The preprocessing config is invalid.", errors)
    if target is not None and target not in df.columns:
        raise PreprocessingError(f"Unknown target column '{target}'.", {"target": "unknown column"})
    options = {k: v["default"] for k, v in PREPROCESSING_OPTIONS.items()}
    options.update({k: v for k, v in config.items() if v is not None or k == "outlier_threshold"})
    warnings: list[str] = []
    summary: _Summary = {}
    features = [c for c in df.columns if c != target]
    if target is not None and df[target].isna().any():
        warnings.append(
            f"{int(df[target].isna().sum())} rows have no target value; training skips them."
        )
    strategy = options["missing_values_strategy"]
    filled = features
    if strategy in ("mean", "median", "interpolate"):
        # As training does: the numeric strategy fills numeric columns only; other columns keep
        # their gaps as a category of their own (no warning: that is the default's meaning).
        filled = numeric_columns(df, features)
    out = _apply_missing(df.copy(), strategy, filled, warnings, summary)
    for column in [c for c in features if c not in set(filled)]:
        missing = int(out[column].isna().sum())
        if missing:
            _record(summary, column, "missing category", missing,
                    f"{missing} missing values kept as their own category")  # fmt: skip
    out, counts = _apply_outliers(
        out,
        options["outlier_detection_method"],
        options["outlier_treatment"],
        features,
        options["outlier_threshold"],
        [],  # non-numeric columns are expected here; no need to warn about each
        summary,
    )
    steps = options["transformations"] or []
    if target is not None and any(s.get("column") == target for s in steps):
        warnings.append(f"Transforming the target '{target}' changes what the model predicts.")
    out = _apply_transformations(out, steps, warnings, summary)
    numeric = numeric_columns(out, features)
    scaling = options["scaling_method"]
    if scaling != "none" and numeric:
        scaler = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
        scaled = scaler[scaling]().fit_transform(out[numeric].astype(float))
        for i, column in enumerate(numeric):
            out[column] = scaled[:, i]
            count = int(out[column].notna().sum())
            _record(summary, column, f"{scaling} scaling", count, f"{scaling}-scaled")
    categorical = [c for c in text_columns(out, features) if c in out.columns]
    out = _encode(out, options["categorical_encoding"], categorical, target, warnings, summary)
    if custom := config.get("custom_rules"):
        warnings.append(f"custom_rules ({len(custom)}) are saved with the config, not previewed.")
    return _result(df, out, summary, warnings, started, outliers=counts)
